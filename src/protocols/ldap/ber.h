// BER (X.690) elements with definite lengths, as LDAP uses them (RFC 4511 5.1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace trawl::ber {

struct Element {
  uint8_t tag = 0;  // the identifier octet: class, constructed bit, number (< 31)
  Bytes value;      // contents
  size_t size = 0;  // identifier, length and contents

  bool constructed() const { return tag & 0x20; }
};

enum class Header { kOk, kNeedMore, kBad };

// Reads the identifier and length at the start of `b`: `header_size` and `length`
// of the contents. High tag numbers and indefinite lengths are refused (LDAP
// uses neither).
Header read_header(Bytes b, uint8_t& tag, size_t& header_size, uint64_t& length);

// Sequential reader of the elements inside a constructed value.
class Reader {
 public:
  explicit Reader(Bytes b) : rest_(b) {}
  bool done() const { return rest_.empty(); }
  // Next element; false (reader spent) when the bytes are not a whole element.
  bool next(Element& e);
  // Next element if it has `tag`; false leaves the reader where it was.
  bool next_if(uint8_t tag, Element& e);
  bool ok() const { return ok_; }

 private:
  Bytes rest_;
  bool ok_ = true;
};

// Contents as an integer (two's complement, up to 8 bytes); false when longer.
bool to_int(Bytes b, int64_t& out);
inline std::string_view to_text(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace trawl::ber
