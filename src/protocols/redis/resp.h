// RESP2 and RESP3 (the Redis serialization protocol), parsed incrementally from
// one direction of a connection; inline commands too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace trawl {

// One value of a message. Nodes are stored flat, in wire order: an aggregate's
// kept elements (and any RESP3 attributes before them) follow it up to `end`.
struct RespNode {
  char type = 0;           // the RESP type byte ('+', '$', '*', ...); 'i' for an inline command
  bool null = false;       // $-1, *-1 or RESP3 '_'
  bool truncated = false;  // text or elements were cut at their limit
  uint32_t end = 0;        // index past this node's subtree
  uint64_t length = 0;     // bulk strings: the whole length; aggregates: the element count
  size_t text_offset = 0, text_size = 0;  // scalars: the payload, in RespMessage::text
  // A bulk payload that arrived whole in one feed() is not copied: it is read
  // where it lies while the message is delivered (text_offset is then unused).
  const char* direct = nullptr;
};

// One top-level value. Its buffers are reused from message to message, so a
// steady stream of messages allocates nothing.
struct RespMessage {
  std::vector<RespNode> nodes;  // attributes ('|') of the value first, then the value
  std::string text;             // payload bytes of every scalar node
  uint64_t wire_bytes = 0;
  int64_t first_us = 0, last_us = 0;

  std::string_view text_of(const RespNode& n) const {
    if (n.direct) return std::string_view(n.direct, n.text_size);
    return std::string_view(text).substr(n.text_offset, n.text_size);
  }
  // The value itself: the first node that is not an attribute.
  size_t value_index() const {
    size_t i = 0;
    while (i < nodes.size() && nodes[i].type == '|') i = nodes[i].end;
    return i;
  }
};

class RespParser {
 public:
  // `client`: this direction sends commands, so a line that is not RESP is an
  // inline command rather than an error.
  RespParser(bool client, size_t max_text, std::function<void(const RespMessage&)> on_message)
      : client_(client), max_text_(max_text), on_message_(std::move(on_message)) {}

  void feed(Bytes data, int64_t timestamp_us);
  // Bytes were lost: the value being parsed is dropped and parsing resumes at
  // the next line that starts like a top-level value. Returns false if a value was cut.
  bool gap();
  uint64_t malformed() const { return malformed_; }

 private:
  enum class State { kLine, kBulk, kSkipLine };
  struct Open {
    uint32_t node;          // index of the aggregate's node, when kept
    bool keep;              // its elements are stored (false past a limit)
    bool attribute;         // a RESP3 attribute map ('|')
    uint64_t expected = 0;  // elements still to come
    uint64_t kept = 0;      // elements stored
  };

  void feed_lines(Bytes data, int64_t ts);
  // Copies payloads read in place into the message's text, before the bytes
  // they lie in go away (or before another payload is appended after them).
  void copy_direct();
  void line(std::string_view text, int64_t ts);
  // A value starts: whether it is stored, and its node when it is.
  bool start_value(char type);
  void end_value(bool attribute, int64_t ts);
  void inline_command(std::string_view text, int64_t ts);
  void bad_line();
  void reset_message();

  bool client_;
  size_t max_text_;
  std::function<void(const RespMessage&)> on_message_;
  RespMessage message_;
  State state_ = State::kLine;
  std::string line_;
  bool bulk_kept_ = false;
  uint64_t bulk_remaining_ = 0;  // bytes of the bulk payload and its CRLF still to come
  std::vector<Open> stack_;
  bool resyncing_ = false;   // after a gap: waiting for a line that starts a value
  uint64_t wire_ = 0;        // bytes of the top-level value so far
  size_t direct_nodes_ = 0;  // nodes of message_ whose payload is read in place
  int64_t first_us_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace trawl
