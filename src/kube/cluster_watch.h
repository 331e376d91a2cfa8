// One list and one watch per resource type identity needs, kept up for as
// long as the process runs: paginated lists, watches from the list's version
// with bookmarks, resumed from the last version seen, a fresh list on 410 Gone
// or an unreadable event, reconnects with exponential backoff and jitter.
// What it sees goes to a NamesKeeper, which counts it too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"
#include "kube/names_keeper.h"

namespace trawl::kube {

class ApiClient;

struct ResourceType {
  std::string name, kind, path;  // "pods", "Pod", "/api/v1/pods"
};
// Pods, services, endpoint slices, nodes, namespaces, replica sets and jobs.
const std::vector<ResourceType>& identity_resources();

struct WatchSettings {
  // A watch that sends nothing for this long, not even a bookmark, is reopened
  // (an API server sends a bookmark about once a minute).
  std::chrono::milliseconds idle{std::chrono::seconds(180)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds backoff_min{500}, backoff_max{std::chrono::seconds(30)};
  int page_size = 500;
};

class ClusterWatch {
 public:
  // Starts a thread per resource type; returns at once.
  ClusterWatch(ClusterAccess access, NamesKeeper& keeper, WatchSettings settings = {});
  // Stops every request in progress and joins the threads.
  ~ClusterWatch();
  ClusterWatch(const ClusterWatch&) = delete;
  ClusterWatch& operator=(const ClusterWatch&) = delete;

 private:
  enum class WatchEnd { kResume, kRelist };
  void run(const ResourceType& r, ApiClient& client);
  std::string list(ApiClient& client, const ResourceType& r);
  WatchEnd watch(ApiClient& client, const ResourceType& r, std::string& version);
  void pause(int failures);
  void wait_for_owners();
  void count(const ResourceType& r, const std::function<void(ResourceWatchStats&)>& fn) {
    keeper_.count(r.name, fn);
  }

  const ClusterAccess access_;
  Credentials credentials_;
  NamesKeeper& keeper_;
  const WatchSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int owner_kinds_listed_ = 0;  // ReplicaSets and Jobs listed once
  std::vector<std::unique_ptr<ApiClient>> clients_;
  std::vector<std::thread> threads_;
};

// Every resource listed once (for `trawl read --kubeconfig`): the objects as
// they are now, each owning its addresses since its creation. Throws
// std::runtime_error saying which list failed and why.
std::shared_ptr<NameHistory> list_cluster(const ClusterAccess& access,
                                          std::chrono::milliseconds timeout);

}  // namespace trawl::kube
