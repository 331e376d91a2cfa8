// Output text whose spare room is allocated but never initialised, so a writer
// writes straight into it (a JsonWriter over it): an entry's line is written
// once, not gathered in a stack buffer and copied (std::string's resize would
// zero the room first).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace trawl {

class TextBuffer {
 public:
  const char* data() const { return data_.get(); }
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }
  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n > capacity_) grow(n);
  }

  // Where at least n more bytes may be written; commit() then says where the
  // writing ended. Each call may move the text.
  char* room(size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    return data_.get() + size_;
  }
  char* room_end() { return data_.get() + capacity_; }
  void commit(const char* end) { size_ = size_t(end - data_.get()); }

  void append(std::string_view s) {
    char* q = room(s.size());
    if (!s.empty()) std::memcpy(q, s.data(), s.size());
    size_ += s.size();
  }
  TextBuffer& operator+=(std::string_view s) {
    append(s);
    return *this;
  }
  TextBuffer& operator+=(char c) {
    *room(1) = c;
    ++size_;
    return *this;
  }

 private:
  void grow(size_t at_least) {
    size_t capacity = std::max(at_least, 2 * capacity_);
    std::unique_ptr<char[]> data = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0, capacity_ = 0;
};

}  // namespace trawl
