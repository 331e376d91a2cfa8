#include "sinks/live_hub.h"

#include <algorithm>

#include "entries/summary.h"

namespace trawl {

std::vector<SharedText> LiveSubscription::take() {
  std::lock_guard lock(mutex_);
  std::vector<SharedText> out(std::make_move_iterator(queue_.begin()),
                              std::make_move_iterator(queue_.end()));
  queue_.clear();
  queued_bytes_ = 0;
  return out;
}

uint64_t LiveSubscription::skipped() const {
  std::lock_guard lock(mutex_);
  return skipped_;
}

void LiveSubscription::push(SharedText text) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= limits_.max_entries || queued_bytes_ >= limits_.max_bytes) {
      ++skipped_;
      return;
    }
    queued_bytes_ += text->size();
    queue_.push_back(std::move(text));
    was_empty = queue_.size() == 1;
  }
  if (was_empty && wake_) wake_();
}

void LiveSubscription::add_skipped(uint64_t n) {
  {
    std::lock_guard lock(mutex_);
    skipped_ += n;
  }
  if (wake_) wake_();  // the client is told even when nothing else comes
}

void LiveSubscription::source_ready() {
  if (--sources_waited_ == 0 && wake_) wake_();
}

// `shared` is the entry's text, written by the first subscriber that wants it.
void LiveSubscription::offer(const Entry& e, SharedText& shared, LiveHub& hub) {
  if (!query_.matches(e)) return;
  auto skip = [this] {
    std::lock_guard lock(mutex_);
    if (queue_.size() < limits_.max_entries && queued_bytes_ < limits_.max_bytes) return false;
    ++skipped_;
    return true;
  };
  if (skip()) return;
  if (hub.full()) {
    std::lock_guard lock(mutex_);
    ++skipped_;
    return;
  }
  SharedText text;
  if (query_.redacts()) {
    Entry copy = e;
    query_.redact(copy);
    text = hub.text_of(copy);
  } else {
    if (!shared) shared = hub.text_of(e);
    text = shared;
  }
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    queued_bytes_ += text->size();
    queue_.push_back(std::move(text));
    was_empty = queue_.size() == 1;
  }
  if (was_empty && wake_) wake_();
}

LiveHub::LiveHub(size_t max_bytes) : max_bytes_(max_bytes) {}

SharedText LiveHub::text_of(const Entry& e) {
  auto* text = new std::string;
  write_served_entry_json(*text, e);
  held_->fetch_add(text->size(), std::memory_order_relaxed);
  // The counter outlives the hub if a client still holds a text.
  return SharedText(text, [held = held_](const std::string* t) {
    held->fetch_sub(t->size(), std::memory_order_relaxed);
    delete t;
  });
}

std::shared_ptr<LiveSubscription> LiveHub::subscribe(kfl::Query query, StreamQueueLimits limits,
                                                     std::function<void()> wake) {
  auto s = std::make_shared<LiveSubscription>(std::move(query), limits, std::move(wake));
  std::lock_guard lock(mutex_);
  subs_.push_back(s);
  peak_subscribers_ = std::max(peak_subscribers_, subs_.size());
  return s;
}

void LiveHub::unsubscribe(const std::shared_ptr<LiveSubscription>& s) {
  std::lock_guard lock(mutex_);
  auto it = std::find(subs_.begin(), subs_.end(), s);
  if (it == subs_.end()) return;
  skipped_gone_ += s->skipped();
  subs_.erase(it);
}

void LiveHub::publish(const Entry& e) {
  std::vector<std::shared_ptr<LiveSubscription>> subs;
  {
    std::lock_guard lock(mutex_);
    if (subs_.empty()) return;
    subs = subs_;
  }
  SharedText text;
  for (auto& s : subs) s->offer(e, text, *this);
}

size_t LiveHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subs_.size();
}

size_t LiveHub::peak_subscribers() const {
  std::lock_guard lock(mutex_);
  return peak_subscribers_;
}

uint64_t LiveHub::skipped() const {
  std::lock_guard lock(mutex_);
  uint64_t n = skipped_gone_;
  for (const auto& s : subs_) n += s->skipped();
  return n;
}

}  // namespace trawl
