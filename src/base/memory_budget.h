// One budget of bytes for what dissectors hold between packets (bodies being
// received, messages waiting for their reply, partial frames), shared by every
// connection and every thread of a pipeline's process: however many connections
// a hostile peer opens, together they hold no more, and what the budget refuses
// is dropped, and counted, when it is refused.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>

namespace trawl {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `n` bytes; false (and counted) when that would go over the limit.
  bool take(uint64_t n) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used + n > limit_) {
        refusals_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    uint64_t peak = peak_.load(std::memory_order_relaxed);
    while (used + n > peak &&
           !peak_.compare_exchange_weak(peak, used + n, std::memory_order_relaxed)) {
    }
    return true;
  }
  void give(uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  uint64_t limit_;
  std::atomic<uint64_t> used_{0}, peak_{0}, refusals_{0};
};

// What one holder (a message, a buffer) has taken of a budget: given back when
// it is released, or destroyed. Without a budget every take succeeds.
class BudgetShare {
 public:
  BudgetShare() = default;
  explicit BudgetShare(MemoryBudget* budget) : budget_(budget) {}
  BudgetShare(BudgetShare&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), held_(std::exchange(o.held_, 0)) {}
  BudgetShare& operator=(BudgetShare&& o) noexcept {
    if (this != &o) {
      release();
      budget_ = std::exchange(o.budget_, nullptr);
      held_ = std::exchange(o.held_, 0);
    }
    return *this;
  }
  BudgetShare(const BudgetShare&) = delete;
  BudgetShare& operator=(const BudgetShare&) = delete;
  ~BudgetShare() { release(); }

  bool take(uint64_t n) {
    if (budget_ && n && !budget_->take(n)) return false;
    held_ += n;
    return true;
  }
  // Holds exactly `n` bytes: takes the difference, or gives it back.
  bool resize(uint64_t n) {
    if (n > held_) return take(n - held_);
    if (budget_) budget_->give(held_ - n);
    held_ = n;
    return true;
  }
  void release() {
    if (budget_ && held_) budget_->give(held_);
    held_ = 0;
  }
  uint64_t held() const { return held_; }
  MemoryBudget* budget() const { return budget_; }

 private:
  MemoryBudget* budget_ = nullptr;
  uint64_t held_ = 0;
};

// For many small holdings that come and go on one connection (commands
// waiting for their replies): the budget is charged a chunk at a time and given
// back once nothing is held, so the shared counter is touched once per chunk,
// not once per holding.
class ChunkedShare {
 public:
  explicit ChunkedShare(MemoryBudget* budget, uint64_t chunk = 16 * 1024)
      : reserved_(budget), chunk_(chunk) {}

  bool take(uint64_t n) {
    if (used_ + n > reserved_.held()) {
      uint64_t want = (used_ + n + chunk_ - 1) / chunk_ * chunk_;
      if (!reserved_.resize(want)) return false;
    }
    used_ += n;
    return true;
  }
  void give(uint64_t n) {
    used_ -= std::min(used_, n);
    if (used_ == 0) reserved_.resize(0);
  }
  uint64_t used() const { return used_; }

 private:
  BudgetShare reserved_;
  uint64_t chunk_;
  uint64_t used_ = 0;
};

}  // namespace trawl
