// Stops long work from another thread (a client that left) or at a deadline.
#pragma once

#include <atomic>
#include <chrono>

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

 private:
  std::atomic<bool> cancelled_{false};
  Clock::time_point deadline_ = Clock::time_point::max();
};

}  // namespace trawl
