#include "capture/readers_in_step.h"

#include <algorithm>

namespace trawl {

ReadersInStep::ReadersInStep(size_t readers, size_t max_ahead)
    : max_ahead_(max_ahead), positions_(readers, 0) {}

uint64_t ReadersInStep::waits() {
  std::lock_guard lock(mutex_);
  return waits_;
}

size_t ReadersInStep::slowest() const {
  return *std::min_element(positions_.begin(), positions_.end());
}

bool ReadersInStep::advance(size_t r, size_t pos) {
  positions_[r] = pos;
  if (waiting_ > 0) changed_.notify_all();
  return pos != SIZE_MAX && pos - slowest() > max_ahead_;
}

}  // namespace trawl
