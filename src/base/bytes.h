// Bounds-checked big-endian reading of untrusted bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace trawl {

using Bytes = std::span<const uint8_t>;

inline uint16_t load_be16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t load_be24(const uint8_t* p) {
  return uint32_t(p[0]) << 16 | p[1] << 8 | p[2];
}
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

inline std::string_view as_text(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Reads fields in order; any read past the end sets `ok` false and yields zeros,
// so parsers check once at the end instead of after every field.
class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  Bytes rest() const { return ok_ ? data_.subspan(pos_) : Bytes{}; }

  uint8_t u8() { return need(1) ? data_[pos_++] : 0; }
  uint16_t u16() { return need(2) ? advance_by(2, load_be16(&data_[pos_])) : 0; }
  uint32_t u24() { return need(3) ? advance_by(3, load_be24(&data_[pos_])) : 0; }
  uint32_t u32() { return need(4) ? advance_by(4, load_be32(&data_[pos_])) : 0; }
  Bytes take(size_t n) {
    if (!need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(size_t n) { take(n); }

 private:
  bool need(size_t n) {
    if (ok_ && data_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }
  template <typename T>
  T advance_by(size_t n, T value) {
    pos_ += n;
    return value;
  }

  Bytes data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string to_hex(Bytes b);

}  // namespace trawl
