// Stops long work from another thread (a client that left) or at a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace trawl {

class Cancellation {
 public:
  using Clock = std::chrono::steady_clock;

  Cancellation() = default;
  explicit Cancellation(Clock::time_point deadline) : deadline_(deadline) {}
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  bool past_deadline() const {
    return deadline_ != Clock::time_point::max() && Clock::now() >= deadline_;
  }
  // Work should stop: cancelled, or the deadline has passed.
  bool stopped() const { return cancelled() || past_deadline(); }
  // For loops that check often (monotonic_coarse_ns() against the deadline).
  const std::atomic<bool>& flag() const { return cancelled_; }
  int64_t deadline_ns() const {
    return deadline_ == Clock::time_point::max()
               ? INT64_MAX
               : std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_.time_since_epoch())
                     .count();
  }

 private:
  std::atomic<bool> cancelled_{false};
  Clock::time_point deadline_ = Clock::time_point::max();
};

}  // namespace trawl
