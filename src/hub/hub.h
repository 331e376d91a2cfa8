// A hub: one API over several members (a cluster's workers, or other
// clusters' hubs), answering as one worker would. Queries fan out to every
// member at once and merge newest first; an entry's id names its member, so
// the entry and its packets are asked of that member alone. A member that
// does not answer within the timeout is named in the answer (`partial`,
// `missing`), never waited for.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/backend.h"
#include "hub/fan_out.h"
#include "kube/names_keeper.h"

namespace trawl::hub {

class Streams;

using Members = std::vector<Member>;

struct HubSettings {
  Members members;    // to start with (set_members changes them)
  std::string token;  // sent to the members (and asked of the hub's own clients)
  std::chrono::milliseconds member_timeout{5000};
  // The cluster's names, when the hub watches its API server: served to the
  // workers (/api/names/changes) and in stats and metrics.
  std::shared_ptr<kube::NamesKeeper> names;
};

class HubBackend : public api::Backend {
 public:
  explicit HubBackend(HubSettings settings);
  ~HubBackend() override;
  api::Routed route_get(const api::Target& target, const std::string& ui_dir,
                        api::ApiCounters* counters) override;
  std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, const std::string& text,
                                              StreamQueueLimits limits,
                                              std::function<void()> wake) override;
  void unsubscribe(const std::shared_ptr<LiveSubscription>& subscription) override;

  // Each member's health as the last fan-out found it.
  Json members_json() const;
  // The members from now on (the workers found in the cluster come and go).
  void set_members(Members members);
  std::shared_ptr<const Members> members() const;

 private:
  struct Health {
    bool up = false;
    bool asked = false;
    std::string error;
    int64_t last_answer_us = 0;
  };
  std::vector<Answer> ask(const Members& members,
                          const std::function<std::string(const Member&)>& target_of,
                          size_t max_body = size_t(256) << 20);
  api::Reply entries(const api::Target& t);
  api::Reply entry(std::string_view id_and_rest);
  api::Reply stats(api::ApiCounters* counters);
  api::Reply metrics(api::ApiCounters* counters);
  std::optional<Member> member(const std::string& name) const;

  HubSettings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Members> members_;
  std::map<std::string, Health> health_;  // by member name
  std::unique_ptr<Streams> streams_;
};

}  // namespace trawl::hub
