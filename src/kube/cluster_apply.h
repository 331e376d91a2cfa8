// What `trawl tap` and `trawl clean` do to a cluster: server-side apply of the
// manifests (field manager "trawl"), the rollout's progress, and deleting what
// carries trawl's label, kind by kind.
#pragma once

#include <string>
#include <vector>

#include "entries/json.h"
#include "kube/api_client.h"
#include "kube/manifests.h"

namespace trawl::kube {

// An object's REST path, for the kinds the manifests hold; "" for another.
std::string object_path(const Json& object);
// Applies the object (created, or replaced by what we say); throws
// std::runtime_error with what the API server said.
void apply_object(ApiClient& client, const Json& object);

struct Rollout {
  int workers_desired = 0, workers_ready = 0;
  bool hub_ready = false;
  bool done() const { return hub_ready && workers_desired > 0 && workers_ready == workers_desired; }
};
Rollout rollout(ApiClient& client, const DeploySettings& s);

// Deletes every object of the deployment that carries trawl's label (in
// `namespace_`, the cluster role and binding, then the namespace if trawl made
// it); one line per kind, saying how many went.
std::vector<std::string> clean(ApiClient& client, const std::string& namespace_);

}  // namespace trawl::kube
