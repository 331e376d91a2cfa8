// The hub's live stream: for each client's query, a WebSocket to every
// member's /api/stream with that query; what they send (ids made hub ids)
// goes to the client's bounded queue. A member that drops is reconnected
// every second until the client leaves.
#pragma once

#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "hub/fan_out.h"
#include "sinks/live_hub.h"

namespace trawl::hub {

class Upstream;

class Streams {
 public:
  explicit Streams(std::string token);
  ~Streams();
  // Streams from `members` (as they are now) for one client.
  std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, const std::string& text,
                                              StreamQueueLimits limits, std::function<void()> wake,
                                              const std::vector<Member>& members);
  void unsubscribe(const std::shared_ptr<LiveSubscription>& subscription);

 private:
  struct Io;
  std::string token_;
  std::unique_ptr<Io> io_;
  std::map<const LiveSubscription*, std::vector<std::shared_ptr<Upstream>>> upstreams_;  // on io
  std::thread thread_;
};

// An entry's text with its id made a hub id (entries are written id first).
std::string with_hub_id(std::string_view entry_text, std::string_view member);

}  // namespace trawl::hub
