#include "capture/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace trawl {

bool MappedFile::mappable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

MappedFile::MappedFile(const std::string& path, size_t readers, size_t max_ahead)
    : max_ahead_(max_ahead), positions_(readers, 0) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ::close(fd);
    throw std::runtime_error(path + ": not a regular file with data");
  }
  size_ = size_t(st.st_size);
  void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int error = errno;
  ::close(fd);
  if (m == MAP_FAILED) throw std::runtime_error(path + ": " + std::strerror(error));
  data_ = static_cast<const uint8_t*>(m);
}

MappedFile::~MappedFile() {
  munmap(const_cast<uint8_t*>(data_), size_);
}

uint64_t MappedFile::waits() {
  std::lock_guard lock(mutex_);
  return waits_;
}

size_t MappedFile::slowest() const {
  return *std::min_element(positions_.begin(), positions_.end());
}

bool MappedFile::advance(size_t r, size_t pos) {
  positions_[r] = pos;
  if (pos != SIZE_MAX && pos + kWindow > populated_ && populated_ < size_) {
    size_t upto = std::min(size_, (pos + 2 * kWindow) & ~(kWindow - 1));
    madvise(const_cast<uint8_t*>(data_ + populated_), upto - populated_, MADV_POPULATE_READ);
    populated_ = upto;
  }
  size_t behind = slowest();
  bool released = false;
  while (released_ + 2 * kWindow <= behind && released_ + kWindow <= size_) {
    madvise(const_cast<uint8_t*>(data_ + released_), kWindow, MADV_DONTNEED);
    released_ += kWindow;
    released = true;
  }
  if (waiting_ > 0 && (released || pos == SIZE_MAX)) changed_.notify_all();
  return pos != SIZE_MAX && pos - behind > max_ahead_;
}

}  // namespace trawl
