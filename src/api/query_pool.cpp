#include "api/query_pool.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace trawl::api {

QueryPool::QueryPool(int threads, size_t max_waiting) : max_waiting_(max_waiting) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), ("trawl-query" + std::to_string(i)).substr(0, 15).c_str());
      setpriority(PRIO_PROCESS, pid_t(gettid()), 10);  // capture first
      run();
    });
}

QueryPool::~QueryPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

bool QueryPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_waiting_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

size_t QueryPool::waiting() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void QueryPool::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace trawl::api
