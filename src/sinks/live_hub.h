// The live stream: entries as they are stored, handed to every subscriber whose
// KFL query matches. Each subscriber has a queue bounded in entries and bytes;
// when it falls behind, entries for it are skipped and counted, never buffered
// without bound. An entry's text is written once and shared by every queue that
// holds it, and the texts held anywhere are bounded in bytes over all clients.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entries/entry.h"
#include "query/kfl.h"
#include "sinks/output.h"

namespace trawl {

using SharedText = std::shared_ptr<const std::string>;

struct StreamQueueLimits {
  size_t max_entries = 4096;
  size_t max_bytes = 2 << 20;
};

class LiveHub;

class LiveSubscription {
 public:
  LiveSubscription(kfl::Query query, StreamQueueLimits limits, std::function<void()> wake)
      : query_(std::move(query)), limits_(limits), wake_(std::move(wake)) {}

  // Takes what is queued (entry JSON texts, oldest first).
  std::vector<SharedText> take();
  uint64_t skipped() const;
  // Queues an entry's text matched elsewhere (a hub's worker streams); over
  // the limits it is skipped and counted.
  void push(SharedText text);
  // Counts `n` entries skipped before they reached here (by a hub's member).
  void add_skipped(uint64_t n);
  // Whether everything that will feed it is feeding it, so its query can be
  // acknowledged: at once for a worker's; a hub's waits for `n` sources (its
  // members' streams), each calling source_ready() once (wakes at the last).
  bool ready() const { return sources_waited_.load() <= 0; }
  void wait_for_sources(int n) { sources_waited_ = n; }
  void source_ready();

 private:
  friend class LiveHub;
  void offer(const Entry& e, SharedText& shared, LiveHub& hub);

  kfl::Query query_;
  StreamQueueLimits limits_;
  std::function<void()> wake_;  // called (outside the lock) when the queue becomes non-empty
  mutable std::mutex mutex_;
  std::deque<SharedText> queue_;
  size_t queued_bytes_ = 0;
  uint64_t skipped_ = 0;
  std::atomic<int> sources_waited_{0};
};

class LiveHub : public EntryOutput {
 public:
  void write(Entry& e) override { publish(e); }
  // `max_bytes`: entry texts held for subscribers, all together.
  explicit LiveHub(size_t max_bytes = 64 << 20);

  std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, StreamQueueLimits limits,
                                              std::function<void()> wake);
  void unsubscribe(const std::shared_ptr<LiveSubscription>& s);
  // Called by the threads that store entries.
  void publish(const Entry& e);
  size_t subscribers() const;
  size_t peak_subscribers() const;  // the most at once since the start
  uint64_t skipped() const;         // over every subscriber, past and present
  size_t held_bytes() const { return held_->load(std::memory_order_relaxed); }

 private:
  friend class LiveSubscription;
  // The entry's text, counted in held_ for as long as anything holds it.
  SharedText text_of(const Entry& e);
  bool full() const { return held_bytes() >= max_bytes_; }

  size_t max_bytes_;
  std::shared_ptr<std::atomic<size_t>> held_ = std::make_shared<std::atomic<size_t>>(0);
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<LiveSubscription>> subs_;
  uint64_t skipped_gone_ = 0;  // of subscribers that left
  size_t peak_subscribers_ = 0;
};

}  // namespace trawl
