#include "sinks/live_hub.h"

#include <algorithm>

namespace trawl {

std::vector<std::string> LiveSubscription::take() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

uint64_t LiveSubscription::skipped() const {
  std::lock_guard lock(mutex_);
  return skipped_;
}

// `json` is the entry's text, written by the first subscriber that wants it.
bool LiveSubscription::offer(const Entry& e, std::string& json) {
  if (!query_.matches(e)) return false;
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_queued_) {
      ++skipped_;
      return false;
    }
    if (query_.redacts()) {
      Entry copy = e;
      query_.redact(copy);
      std::string own;
      write_entry_json(own, copy);
      queue_.push_back(std::move(own));
    } else {
      if (json.empty()) write_entry_json(json, e);
      queue_.push_back(json);
    }
    was_empty = queue_.size() == 1;
  }
  if (was_empty && wake_) wake_();
  return true;
}

std::shared_ptr<LiveSubscription> LiveHub::subscribe(kfl::Query query, size_t max_queued,
                                                     std::function<void()> wake) {
  auto s = std::make_shared<LiveSubscription>(std::move(query), max_queued, std::move(wake));
  std::lock_guard lock(mutex_);
  subs_.push_back(s);
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
  std::string json;
  for (auto& s : subs) s->offer(e, json);
}

size_t LiveHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subs_.size();
}

uint64_t LiveHub::skipped() const {
  std::lock_guard lock(mutex_);
  uint64_t n = skipped_gone_;
  for (const auto& s : subs_) n += s->skipped();
  return n;
}

}  // namespace trawl
