// Readers that each go through one capture file front to back (the threads of
// a parallel read, each keeping its share of the flows): a reader too far
// ahead of the slowest waits, so that what the others have yet to deliver,
// and the output held back for them, stays bounded.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace trawl {

class ReadersInStep {
 public:
  // `max_ahead`: how far, in bytes of the file, one reader may get past the slowest.
  ReadersInStep(size_t readers, size_t max_ahead);
  ReadersInStep(const ReadersInStep&) = delete;
  ReadersInStep& operator=(const ReadersInStep&) = delete;

  // Times a reader waited for the others.
  uint64_t waits();

  // Reader `r` has read up to `pos`; SIZE_MAX when it is done. A reader too far
  // ahead of the slowest calls `before_wait` (so that it cannot hold up the
  // others through something they wait on), then waits for them.
  template <typename F>
  void reached(size_t r, size_t pos, F&& before_wait) {
    std::unique_lock lock(mutex_);
    if (!advance(r, pos)) return;
    lock.unlock();
    before_wait();
    lock.lock();
    ++waiting_;
    ++waits_;
    changed_.wait(lock, [&] { return pos - slowest() <= max_ahead_ / 2; });
    --waiting_;
  }
  void reached(size_t r, size_t pos) {
    reached(r, pos, [] {});
  }

  // Bytes read between two calls to reached(), so that a reader does not lock
  // for every frame.
  static constexpr size_t kReportEvery = 1 << 20;

 private:
  // Records the position; true if the reader must wait.
  bool advance(size_t r, size_t pos);
  size_t slowest() const;

  const size_t max_ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<size_t> positions_;
  int waiting_ = 0;
  uint64_t waits_ = 0;
};

}  // namespace trawl
