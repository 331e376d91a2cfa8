// Where the API's heavy work runs (store scans, pcap exports): a few threads of
// their own, below the capture threads' priority, so that a slow query leaves
// the API answering and the capture capturing.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trawl::api {

class QueryPool {
 public:
  QueryPool(int threads, size_t max_waiting);
  // Runs nothing more; waits for the jobs running now.
  ~QueryPool();
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  // False when `max_waiting` jobs already wait (the caller answers 503).
  bool submit(std::function<void()> job);
  size_t waiting() const;

 private:
  void run();

  size_t max_waiting_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace trawl::api
