// JSON text gathered in a stack buffer and appended to a string in a few
// pieces: on hot paths (an entry's line, a dissector's request and response
// text) dozens of small appends cost more than the fields themselves. Over a
// TextBuffer (an output's lines) it is written in place, not gathered.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "entries/json.h"
#include "entries/json_simd.h"
#include "entries/text_buffer.h"

namespace trawl {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : str_(&out) {}
  explicit JsonWriter(TextBuffer& out) : text_(&out) {
    q_ = out.room(kSize);
    end_ = out.room_end();
  }
  ~JsonWriter() {
    if (str_)
      flush();
    else
      settle();
  }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // Text written as is: punctuation, keys, JSON text made elsewhere.
  void literal(std::string_view s) {
    if (s.size() > kSize) {
      append_large(s);
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
  // its own to append to (this one then goes on after it). Over a TextBuffer,
  // a string whose text the next write (or the end) appends to it.
  std::string& out() {
    if (str_) {
      flush();
      return *str_;
    }
    settle();
    q_ = end_ = buf_;  // (no room: the next write settles first)
    std::string& s = scratch();
    s.clear();
    scratch_used_ = true;
    return s;
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
  // Room for kSize bytes again.
  [[gnu::noinline]] void flush() {
    if (str_) {
      str_->append(buf_, size_t(q_ - buf_));
      q_ = buf_;
      return;
    }
    settle();
    q_ = text_->room(kSize);
    end_ = text_->room_end();
  }
  // Over a TextBuffer: what was written in place, then any out() text, is its.
  void settle() {
    if (scratch_used_)
      text_->append(scratch());
    else
      text_->commit(q_);
    scratch_used_ = false;
  }
  void append_large(std::string_view s) {
    if (str_) {
      out().append(s);
      return;
    }
    settle();
    text_->append(s);
    q_ = text_->room(kSize);
    end_ = text_->room_end();
  }
  static std::string& scratch() {
    thread_local std::string text;
    return text;
  }

  std::string* str_ = nullptr;  // the string gathered into, or
  TextBuffer* text_ = nullptr;  // the buffer written in place
  bool scratch_used_ = false;
  char buf_[kSize];
  char* q_ = buf_;
  char* end_ = buf_ + kSize;
};

}  // namespace trawl
