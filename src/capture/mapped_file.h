// A capture file mapped read-only for readers that each go through it front to
// back: pages are mapped ahead of the fastest reader, a window at a time (one
// call, not a fault per page), and given back behind the slowest (the page
// cache keeps them), so memory holds only the stretch between the readers. A
// reader too far ahead of the slowest waits.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace trawl {

class MappedFile {
 public:
  // Maps `path`, a non-empty regular file; throws std::runtime_error otherwise.
  // `max_ahead`: how far one reader may get past the slowest.
  MappedFile(const std::string& path, size_t readers, size_t max_ahead = SIZE_MAX);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // True for a non-empty regular file, which can be mapped (and read again).
  static bool mappable(const std::string& path);

  Bytes bytes() const { return Bytes(data_, size_); }
  // Times a reader waited for the others.
  uint64_t waits();

  // Reader `r` has read up to `pos`; SIZE_MAX when it is done. A reader too far
  // ahead of the slowest calls `before_wait` (so that it cannot hold up the
  // others through something they wait on), then waits for them.
  template <typename F>
  void reached(size_t r, size_t pos, F&& before_wait) {
    std::unique_lock lock(mutex_);
    if (!advance(r, pos)) return;
    lock.unlock();
    before_wait();
    lock.lock();
    ++waiting_;
    ++waits_;
    changed_.wait(lock, [&] { return pos - slowest() <= max_ahead_ / 2; });
    --waiting_;
  }
  void reached(size_t r, size_t pos) {
    reached(r, pos, [] {});
  }

  // Bytes read between two calls to reached(), so that a reader does not lock
  // for every frame.
  static constexpr size_t kReportEvery = 1 << 20;

 private:
  // Records the position, maps ahead and gives back behind; true if the reader
  // must wait.
  bool advance(size_t r, size_t pos);
  size_t slowest() const;

  static constexpr size_t kWindow = 2 << 20;
  const size_t max_ahead_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<size_t> positions_;
  size_t populated_ = 0, released_ = 0;
  int waiting_ = 0;
  uint64_t waits_ = 0;
};

}  // namespace trawl
