// Requests of a protocol that answers in order on a connection (HTTP/1.1,
// Redis), waiting for their replies. At most max_in_flight wait: past it the
// oldest goes out unanswered, and the replies still due for it are known for
// what they are when they come, so later requests still pair with their own.
// The bytes the waiting requests hold are counted against max_pending_bytes.
// (AMQP pairs per channel and method, with its own bound: amqp.cpp.)
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>  // destroy_at, construct_at, unique_ptr
#include <vector>

#include "dissect/dissector.h"

namespace trawl {

// A queue, oldest first, whose elements live in slots that are reused: a
// request costs no allocation on a busy connection, and it stays where it is
// while it waits (callers hold pointers to it). A slot is made anew when its
// element leaves; when the queue empties, slots beyond 4 KiB of them go back
// (an idle connection holds little, a steady pipeline allocates nothing).
template <typename T>
class SlotQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& front() { return *slots_[head_]; }
  T& operator[](size_t i) { return *slots_[(head_ + i) % slots_.size()]; }

  T& emplace_back() {
    if (size_ == slots_.size()) grow();
    return *slots_[(head_ + size_++) % slots_.size()];
  }
  void pop_front() {
    T* done = slots_[head_].get();
    std::destroy_at(done);
    std::construct_at(done);
    head_ = (head_ + 1) % slots_.size();
    if (--size_ == 0 && slots_.size() > kept()) {
      slots_.resize(kept());
      head_ = 0;
    }
  }

 private:
  static constexpr size_t kept() { return std::max<size_t>(1, 4096 / sizeof(T)); }

  void grow() {
    const size_t count = std::max<size_t>(1, slots_.size() * 2);
    std::vector<std::unique_ptr<T>> slots;
    slots.reserve(count);
    for (size_t i = 0; i < slots_.size(); ++i)
      slots.push_back(std::move(slots_[(head_ + i) % slots_.size()]));
    while (slots.size() < count) slots.push_back(std::make_unique<T>());
    slots_ = std::move(slots);
    head_ = 0;
  }

  std::vector<std::unique_ptr<T>> slots_;  // a ring from head_
  size_t head_ = 0, size_ = 0;
};

// `Request` has a `uint64_t held`: the bytes it holds, set through hold().
template <typename Request>
class InOrderPairing {
 public:
  InOrderPairing(const DissectorSettings& settings, DissectCounters& counters)
      : settings_(settings), counters_(counters) {}

  // Oldest first: waiting(0) is oldest().
  size_t count() const { return waiting_.size(); }
  Request& waiting(size_t i) { return waiting_[i]; }
  bool empty() const { return waiting_.empty(); }
  Request& oldest() { return waiting_.front(); }

  // A new request at the end. When max_in_flight already wait, the oldest is
  // first handed to `evict(Request&)`, which emits it unanswered (it may move
  // from it) and returns how many of its replies are still due.
  template <typename Evict>
  Request& add(Evict&& evict) {
    if (waiting_.size() >= std::max<size_t>(settings_.max_in_flight, 1)) {
      Request& old = waiting_.front();
      uint64_t held = old.held;
      owed_to_evicted_ += evict(old);
      ++counters_.pipeline_evictions;
      held_ -= std::min(held_, held);
      waiting_.pop_front();
    }
    return waiting_.emplace_back();
  }

  // The oldest request leaves (answered, or unanswered at the close): moved
  // out, or used in place by `use(Request&)` (no move of a large request).
  Request take_oldest() {
    Request r = std::move(waiting_.front());
    waiting_.pop_front();
    held_ -= std::min(held_, r.held);
    return r;
  }
  template <typename Use>
  void finish_oldest(Use&& use) {
    held_ -= std::min(held_, waiting_.front().held);
    use(waiting_.front());
    waiting_.pop_front();
  }

  // A reply came: true when it is due to a request evicted earlier (the
  // caller emits it alone, as such), false when it is the oldest waiting one's.
  bool reply_to_evicted() {
    if (owed_to_evicted_ == 0) return false;
    --owed_to_evicted_;
    return true;
  }

  void hold(Request& r, uint64_t bytes) {
    held_ += bytes;
    r.held += bytes;
  }
  uint64_t held_bytes() const { return held_; }
  // The requests' share of the connection is spent: new ones wait without content.
  bool over_byte_budget(uint64_t more = 0) const {
    return held_ + more > settings_.max_pending_bytes;
  }

 private:
  const DissectorSettings& settings_;
  DissectCounters& counters_;
  SlotQueue<Request> waiting_;
  uint64_t held_ = 0;
  uint64_t owed_to_evicted_ = 0;  // replies still to come for evicted requests
};

}  // namespace trawl
