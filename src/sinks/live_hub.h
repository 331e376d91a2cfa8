// The live stream: entries as they are stored, handed to every subscriber whose
// KFL query matches. Each subscriber has a bounded queue; when it falls behind,
// entries for it are skipped and counted, never buffered without bound.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entries/entry.h"
#include "query/kfl.h"

namespace trawl {

class LiveSubscription {
 public:
  LiveSubscription(kfl::Query query, size_t max_queued, std::function<void()> wake)
      : query_(std::move(query)), max_queued_(max_queued), wake_(std::move(wake)) {}

  // Takes what is queued (entry JSON texts, oldest first).
  std::vector<std::string> take();
  uint64_t skipped() const;

 private:
  friend class LiveHub;
  bool offer(const Entry& e, std::string& json);

  kfl::Query query_;
  size_t max_queued_;
  std::function<void()> wake_;  // called (outside the lock) when the queue becomes non-empty
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;
  uint64_t skipped_ = 0;
};

class LiveHub {
 public:
  std::shared_ptr<LiveSubscription> subscribe(kfl::Query query, size_t max_queued,
                                              std::function<void()> wake);
  void unsubscribe(const std::shared_ptr<LiveSubscription>& s);
  // Called by the threads that store entries.
  void publish(const Entry& e);
  size_t subscribers() const;
  uint64_t skipped() const;  // over every subscriber, past and present

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<LiveSubscription>> subs_;
  uint64_t skipped_gone_ = 0;  // of subscribers that left
};

}  // namespace trawl
