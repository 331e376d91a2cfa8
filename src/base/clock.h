// Clocks: wall-clock time for entries and captures, the monotonic one for deadlines.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace trawl {

inline int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The monotonic clock (std::chrono::steady_clock's) at its coarse resolution
// (a few milliseconds), in nanoseconds: cheap enough to read once per record.
inline int64_t monotonic_coarse_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace trawl
