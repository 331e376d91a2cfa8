// JSON text gathered in a stack buffer and appended to a string in a few
// pieces: on hot paths (an entry's line, a dissector's request and response
// text) dozens of small appends cost more than the fields themselves.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "entries/json.h"
#include "entries/json_simd.h"

namespace trawl {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  ~JsonWriter() { flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // Text written as is: punctuation, keys, JSON text made elsewhere.
  void literal(std::string_view s) {
    if (s.size() > kSize) {
      out().append(s);
      return;
    }
    char* q = room(s.size());
    std::memcpy(q, s.data(), s.size());
    commit(q + s.size());
  }
  void number(int64_t n) { commit(format_json_number(room(20), n)); }
  void number(double d) { commit(format_json_number(room(32), d)); }
  // A JSON string.
  void string(std::string_view s) {
    if (!simple_string(s)) write_json_string(out(), s);
  }
  // A JSON string when it is short and its only bytes to escape are '"' and
  // '\\' (names, addresses, methods, small JSON bodies): false, and nothing
  // written, for one the full escaper must see.
  bool simple_string(std::string_view s) {
    if (s.size() <= 16) {
      char* q = room(18);
      if (json_detail::copy_short_if_plain(q + 1, s.data(), s.size())) {
        *q = '"';
        q[s.size() + 1] = '"';
        commit(q + s.size() + 2);
        return true;
      }
    }
    if (s.size() > kSimpleMax) return false;
    char* q = room(2 * s.size() + 18);
    *q = '"';
    char* end = json_detail::copy_escaping_quotes(q + 1, s.data(), s.size());
    if (!end) return false;
    *end++ = '"';
    commit(end);
    return true;
  }
  // JSON text a dissector wrote (Json::raw) goes through the buffer like the rest.
  void json(const Json& j) {
    if (j.is_raw())
      literal(j.raw_text());
    else
      j.write(out());
  }

  // The string written to, with everything gathered so far: for a writer of
  // its own to append to (this one then goes on after it).
  std::string& out() {
    flush();
    return out_;
  }
  // A place with room for n (at most kSize) bytes; commit() says where the
  // writing there ended.
  char* room(size_t n) {
    if (size_t(end_ - q_) < n) flush();
    return q_;
  }
  void commit(char* end) { q_ = end; }

 private:
  static constexpr size_t kSize = 2048, kSimpleMax = (kSize - 18) / 2;
  void flush() {
    out_.append(buf_, size_t(q_ - buf_));
    q_ = buf_;
  }

  std::string& out_;
  char buf_[kSize];
  char* q_ = buf_;
  char* const end_ = buf_ + kSize;
};

}  // namespace trawl
