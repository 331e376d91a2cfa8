// HPACK header block decoding (RFC 7541) for one direction of an HTTP/2
// connection, with nghttp2's inflater.
//
// A capture that starts mid-connection misses the dynamic table entries added
// before it. Then the decoder runs in partial mode: it keeps the entries it sees
// added, decodes every representation that refers to the static table, to a
// literal or to a known entry (still through nghttp2, one representation at a
// time), and reports the others as unknown rather than guessing. Once the
// entries it knows fill the table, every older entry must have been evicted:
// the table is then known whole, nghttp2's inflater is seeded with it and full
// decoding resumes.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"

struct nghttp2_hd_inflater;

namespace trawl {

struct HpackResult {
  std::vector<std::pair<std::string, std::string>> headers;
  size_t unknown = 0;      // fields that referred to table entries from before the capture
  bool ok = true;          // false: the block is malformed; the table state is lost
  bool truncated = false;  // decoded fields past the cap were dropped
};

class HpackDecoder {
 public:
  HpackDecoder();
  ~HpackDecoder();
  HpackDecoder(const HpackDecoder&) = delete;
  HpackDecoder& operator=(const HpackDecoder&) = delete;

  // Decodes one complete header block (HEADERS or PUSH_PROMISE plus CONTINUATIONs).
  HpackResult decode(Bytes block);
  // SETTINGS_HEADER_TABLE_SIZE announced by this direction's receiver.
  void set_max_table_size(uint32_t size);
  // The table state is unknown from here (mid-stream start, a gap, an error).
  void lose_state();
  bool partial() const { return partial_; }

 private:
  struct Field {
    std::string name, value;
    size_t size() const { return name.size() + value.size() + 32; }
  };

  HpackResult decode_full(Bytes block);
  HpackResult decode_partial(Bytes block);
  void insert_known(Field f);
  void update_known_max(uint64_t max);
  void check_recovered();
  bool decode_alone(const std::string& representation, Field& out);
  nghttp2_hd_inflater* fresh_inflater();

  nghttp2_hd_inflater* inflater_ = nullptr;  // full mode
  nghttp2_hd_inflater* scratch_ = nullptr;   // partial mode: never indexes anything
  uint32_t settings_max_ = 4096;
  bool partial_ = false;
  // Partial mode: the entries known, newest first, and whether older unknown ones
  // may still be in the table.
  std::deque<Field> known_;
  size_t known_size_ = 0;
  uint64_t table_max_ = 4096;
  bool unknown_tail_ = false;
};

}  // namespace trawl
