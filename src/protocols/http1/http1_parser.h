// Incremental parser of one direction of an HTTP/1.x connection.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/memory_budget.h"
#include "protocols/http1/http_fields.h"

namespace trawl {

// A header or trailer field: its name and value as places in the message's
// `fields_text` (one allocation for a whole head, not two per field).
struct Http1Field {
  uint32_t name_at = 0, name_size = 0, value_at = 0, value_size = 0;
};

// The header fields parsing and pairing look up, found once as the head is parsed.
enum class Http1Header : uint8_t {
  kHost,
  kUpgrade,
  kContentType,
  kContentLength,
  kContentEncoding,
  kTransferEncoding,
};
inline constexpr size_t kHttp1HeaderCount = 6;

struct Http1Message {
  explicit Http1Message(MemoryBudget* memory = nullptr) : held(memory) {}

  // A part of the message's text: `fields_text` from `at`.
  struct Place {
    uint32_t at = 0, size = 0;
  };

  bool is_request = false;
  int status = 0;
  // The start line's parts (request: method, target, version; response:
  // version, reason), places in the copy of the head.
  Place method_place, target_place, version_place, reason_place;
  std::string fields_text;          // the head, then joined values and trailers: fields' text
  std::vector<Http1Field> headers;  // names lower-cased as they are added
  std::vector<Http1Field> trailers;
  std::string body;         // after transfer decoding, up to the keep limit
  uint64_t body_bytes = 0;  // whole transfer-decoded length
  bool body_capped = false;
  uint64_t wire_bytes = 0;
  int64_t first_us = 0, last_us = 0;
  bool gap = false;        // bytes of this message were lost
  bool truncated = false;  // the connection ended inside this message
  BudgetShare held;        // what its head and kept body take of the memory budget
  // Once the message is complete, `body` holds it with its Content-Encoding
  // undone (a message waiting for its reply holds at most max_body).
  bool body_decoded = false;
  BodyState body_state;

  std::string_view method() const { return text(method_place); }
  std::string_view target() const { return text(target_place); }
  std::string_view version() const { return text(version_place); }  // "1.1", "1.0"
  std::string_view reason() const { return text(reason_place); }
  // The place of `part`, a view of `whole`, once `whole` is copied to fields_text's start.
  static Place place(std::string_view whole, std::string_view part) {
    return {uint32_t(part.data() - whole.data()), uint32_t(part.size())};
  }

  // The value of the first header field so named; after merge_fields(), all its values.
  std::string_view header(std::string_view lower_name) const;
  std::string_view header(Http1Header h) const;
  std::string_view name(const Http1Field& f) const { return text(f.name_at, f.name_size); }
  std::string_view value(const Http1Field& f) const { return text(f.value_at, f.value_size); }
  // Adds a field to `headers` or `trailers`, its name lower-cased: copied to
  // the end of `fields_text`, or already there.
  void add_field(std::vector<Http1Field>& list, std::string_view name, std::string_view value);
  void add_field_in_text(std::vector<Http1Field>& list, Http1Field f);
  // Parsing a head: begin_head() copies it (and maybe what follows it) to
  // `fields_text`; add_plain_fields() adds its usual field lines from the
  // copy's place `at` and writes each at once to the entry's JSON object of
  // headers after the copy, and returns where it stopped: past the head's
  // blank line (`ended`), or at an unusual line (folded, blanks before the
  // colon, a name to escape) for the careful parser, after stop_head_json(). end_head() closes the
  // object; write_fields_json() then copies it whole unless it stopped or a name repeated.
  void begin_head(std::string_view head);
  size_t add_plain_fields(size_t at, bool& ended);
  // Forgets a head parsed before, its start line and fields.
  void clear_head();
  void stop_head_json();
  void end_head();
  // Obsolete line folding: more text for the value of the head's last field.
  void extend_last_value(Http1Field& last, std::string_view more);
  // As entry.md `headers` wants them, in place: the values of a repeated name
  // joined with ", " where it first appeared.
  void merge_fields(std::vector<Http1Field>& list);
  // Appends merged fields as a JSON object (fields_text gets room to be read
  // sixteen bytes a step).
  void write_fields_json(std::string& out, const std::vector<Http1Field>& merged);
  // The headers' JSON object written as the head was parsed, once merged;
  // empty when write_fields_json() must write it.
  std::string_view headers_json() const {
    return head_json_ready_ ? text(head_json_) : std::string_view();
  }
  HeaderList header_list() const;
  // As a new message for `memory`, its buffers kept (empty).
  void reset(MemoryBudget* memory);

 private:
  std::string_view text(uint32_t at, uint32_t size) const {
    return std::string_view(fields_text).substr(at, size);
  }
  std::string_view text(Place p) const { return text(p.at, p.size); }
  void add_header(Http1Field f, const char* lower_name);
  // Where each of Http1Header is in `headers` (index + 1; 0: absent), until merged.
  std::array<uint32_t, kHttp1HeaderCount> known_{};
  bool merged_ = false;
  // A bit per header name's length and letters: no bit met twice, no name is
  // repeated, and merge_fields() has nothing to do (the usual head).
  uint64_t header_name_bits_ = 0;
  bool headers_may_repeat_ = false;
  // The headers' JSON object in fields_text: being written while `head_json_open_`,
  // usable once closed while `head_json_ready_`.
  Place head_json_;
  bool head_json_open_ = false, head_json_ready_ = false;
};

// Messages change hands as pointers, and dense traffic allocates nothing per
// message: a message written out is given back, and a new one is one of
// those (a few small ones are kept per thread), reset by the parser when its
// message starts.
using Http1MessagePtr = std::unique_ptr<Http1Message>;
Http1MessagePtr take_http1_message(MemoryBudget* memory);
void give_back_http1_message(Http1MessagePtr message);

class Http1Parser {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Called once the head is parsed; returns false when the message has no body
    // whatever its headers say (response to HEAD, 1xx, 204, 304).
    virtual bool message_may_have_body(const Http1Message& head) = 0;
    virtual void on_message(Http1MessagePtr message) = 0;
    // Bytes that could not be parsed were skipped to find the next message.
    virtual void on_resync() = 0;
    // Bytes that followed the message after which the parser was stopped.
    virtual void on_after_stop(Bytes rest, int64_t timestamp_us) = 0;
    // The memory budget refused a head (skipped) or body bytes (not kept).
    virtual void on_memory_refused() = 0;
  };

  Http1Parser(Handler& handler, size_t max_head, size_t body_keep, MemoryBudget* memory = nullptr)
      : handler_(handler),
        max_head_(max_head),
        body_keep_(body_keep),
        buffer_share_(memory),
        msg_(take_http1_message(memory)) {}

  void feed(Bytes data, int64_t timestamp_us);
  // Returns false when message boundaries were lost (the parser resynchronises).
  bool gap(uint64_t length, int64_t timestamp_us);
  // End of the connection: a close-delimited body ends here, other partial
  // messages are delivered marked incomplete.
  void close(int64_t timestamp_us);
  // After an upgrade or CONNECT the rest of the direction is not HTTP/1.
  void stop() { state_ = State::kStopped; }
  // Sets how many body bytes are kept (compressed bodies keep more).
  void set_body_keep(size_t n) { body_keep_ = n; }

  // True when `text` starts like a request line or a status line.
  static bool looks_like_start_line(std::string_view text);

 private:
  enum class State {
    kStart,
    kHead,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kCloseDelimited,
    kResync,
    kStopped
  };

  size_t consume_head(Bytes data, int64_t ts);
  size_t consume_body(Bytes data, int64_t ts);
  size_t consume_chunk_line(Bytes data, int64_t ts);
  size_t consume_line(Bytes data, std::string& line, bool& complete);
  size_t parse_head(std::string_view text);
  size_t parse_fields(std::string_view lines, const char* base);
  bool salvage_head();
  void begin_body();
  void append_body(Bytes data);
  void finish(int64_t ts);
  size_t resync(Bytes data);
  void lost_sync();
  void drop_head_buffer();

  Handler& handler_;
  size_t max_head_;
  size_t body_keep_;
  State state_ = State::kStart;
  std::string buffer_;        // partial head, chunk-size line or trailer line
  BudgetShare buffer_share_;  // a partial head's bytes (the only large use of buffer_)
  uint64_t remaining_ = 0;
  bool at_line_start_ = true;  // resync: the next byte starts a line
  Http1MessagePtr msg_;        // never null
};

}  // namespace trawl
