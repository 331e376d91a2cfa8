// What a server serves: a worker's store and live stream, or a hub's fan-out
// over workers. The server (server.cpp) does the sockets, access and the
// dashboard's files; a backend answers the routes and feeds the live stream.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/routes.h"
#include "query/kfl.h"
#include "sinks/live_hub.h"

namespace trawl::api {

class Backend {
 public:
  virtual ~Backend() = default;
  // GET routes (routes.h); `ui_dir` holds the dashboard's files.
  virtual Routed route_get(const Target& target, const std::string& ui_dir,
                           ApiCounters* counters) = 0;
  // The live stream of the entries `query` (whose text is `text`) matches;
  // `wake` is called when the subscription's queue becomes non-empty.
  virtual std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, const std::string& text,
                                                      StreamQueueLimits limits,
                                                      std::function<void()> wake) = 0;
  virtual void unsubscribe(const std::shared_ptr<LiveSubscription>& subscription) = 0;
};

// A worker's: its store, its packet ring, its live hub.
class WorkerBackend : public Backend {
 public:
  explicit WorkerBackend(Worker& worker) : worker_(worker) {}
  Routed route_get(const Target& target, const std::string& ui_dir,
                   ApiCounters* counters) override {
    return api::route_get(worker_, target, ui_dir, counters);
  }
  std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, const std::string&,
                                              StreamQueueLimits limits,
                                              std::function<void()> wake) override {
    return worker_.hub().subscribe(std::move(query), limits, std::move(wake));
  }
  void unsubscribe(const std::shared_ptr<LiveSubscription>& s) override {
    worker_.hub().unsubscribe(s);
  }

 private:
  Worker& worker_;
};

}  // namespace trawl::api
