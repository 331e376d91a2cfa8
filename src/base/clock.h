// Wall-clock time in microseconds since the epoch (entries and captures use it).
#pragma once

#include <chrono>
#include <cstdint>

namespace trawl {

inline int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace trawl
