// A worker's Kubernetes names from its hub, the only client of the API server:
// every second the worker asks the hub for what its name history gained
// (/api/names/changes), and keeps it in its own history, so the names outlive
// a hub restart. A hub that restarted (or rotated its history) answers with
// everything it holds, which the worker takes as a whole list: what it does
// not hold any more is gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "hub/fan_out.h"
#include "kube/names_keeper.h"

namespace trawl::hub {

class NamesFollower {
 public:
  NamesFollower(Member hub, std::string token, kube::NamesKeeper& keeper,
                std::chrono::milliseconds every = std::chrono::seconds(1));
  ~NamesFollower();
  NamesFollower(const NamesFollower&) = delete;
  NamesFollower& operator=(const NamesFollower&) = delete;

 private:
  void run();
  void ask_once();

  const Member hub_;
  const std::string token_;
  kube::NamesKeeper& keeper_;
  const std::chrono::milliseconds every_;
  std::string position_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace trawl::hub
