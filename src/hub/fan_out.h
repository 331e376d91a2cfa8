// GETs to every member of a hub (workers, or other hubs) at once, each
// answered within one deadline: a member that is slower is named, not waited for.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "api/client.h"

namespace trawl::hub {

struct Member {
  std::string name;  // a node's name (or a cluster's, for a hub of hubs)
  api::ServerUrl url;
  std::string token;  // sent to this member; empty: the hub's own
};

struct Answer {
  int status = 0;     // 0: no answer (see error)
  std::string body;   // at most the body limit
  std::string error;  // why there is no answer: refused, timed out, too large, ...
};

// GET target_of(i) from members[i], all at once, with "Authorization: Bearer
// token" (the member's own, when it has one); each answer within `timeout`, its body at most
// `max_body` bytes.
std::vector<Answer> get_all(const std::vector<Member>& members,
                            const std::function<std::string(size_t)>& target_of,
                            const std::string& token, std::chrono::milliseconds timeout,
                            size_t max_body = size_t(256) << 20);

}  // namespace trawl::hub
