// RESP2 and RESP3 (the Redis serialization protocol), parsed incrementally from
// one direction of a connection; inline commands too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace trawl {

struct RespValue {
  char type = 0;        // the RESP type byte ('+', '$', '*', ...); 'i' for an inline command
  bool null = false;    // $-1, *-1 or RESP3 '_'
  std::string text;     // scalars: the payload (bulk strings up to the keep limit)
  uint64_t length = 0;  // bulk strings: the whole length; aggregates: the element count
  std::vector<RespValue> items;       // aggregates (maps: key, value, key, value...), up to a limit
  bool truncated = false;             // text or items were cut at their limit
  std::vector<RespValue> attributes;  // RESP3 '|' attributes that preceded this value
  uint64_t wire_bytes = 0;
  int64_t first_us = 0, last_us = 0;
};

class RespParser {
 public:
  // `client`: this direction sends commands, so a line that is not RESP is an
  // inline command rather than an error.
  RespParser(bool client, size_t max_text, std::function<void(RespValue&&)> on_value)
      : client_(client), max_text_(max_text), on_value_(std::move(on_value)) {}

  void feed(Bytes data, int64_t timestamp_us);
  // Bytes were lost: the value being parsed is dropped and parsing resumes at
  // the next line that starts like a top-level value. Returns false if a value was cut.
  bool gap();
  uint64_t malformed() const { return malformed_; }

 private:
  enum class State { kLine, kBulk, kSkipLine };
  struct Open {
    RespValue value;
    uint64_t expected = 0;  // elements still to come
  };

  void line(std::string_view text, int64_t ts);
  void complete(RespValue&& v, int64_t ts);
  void bad_line();

  bool client_;
  size_t max_text_;
  std::function<void(RespValue&&)> on_value_;
  State state_ = State::kLine;
  std::string line_;
  RespValue bulk_;
  uint64_t bulk_remaining_ = 0;  // bytes of the bulk payload and its CRLF still to come
  std::vector<Open> stack_;
  std::vector<RespValue> attributes_;
  bool resyncing_ = false;  // after a gap: waiting for a line that starts a value
  uint64_t wire_ = 0;       // bytes of the top-level value so far
  int64_t first_us_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace trawl
