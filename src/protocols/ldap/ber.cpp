#include "protocols/ldap/ber.h"

namespace trawl::ber {

Header read_header(Bytes b, uint8_t& tag, size_t& header_size, uint64_t& length) {
  if (b.size() < 2) return Header::kNeedMore;
  tag = b[0];
  if ((tag & 0x1F) == 0x1F) return Header::kBad;  // high tag number
  uint8_t first = b[1];
  if (first < 0x80) {
    header_size = 2;
    length = first;
    return Header::kOk;
  }
  size_t n = first & 0x7F;
  if (n == 0 || n > 4) return Header::kBad;  // indefinite, or over 4 GiB
  if (b.size() < 2 + n) return Header::kNeedMore;
  length = 0;
  for (size_t i = 0; i < n; ++i) length = length << 8 | b[2 + i];
  header_size = 2 + n;
  return Header::kOk;
}

bool Reader::next(Element& e) {
  if (!ok_ || rest_.empty()) return false;
  size_t header;
  uint64_t length;
  if (read_header(rest_, e.tag, header, length) != Header::kOk || length > rest_.size() - header) {
    ok_ = false;
    rest_ = {};
    return false;
  }
  e.value = rest_.subspan(header, size_t(length));
  e.size = header + size_t(length);
  rest_ = rest_.subspan(e.size);
  return true;
}

bool Reader::next_if(uint8_t tag, Element& e) {
  if (!ok_ || rest_.empty() || rest_[0] != tag) return false;
  return next(e);
}

bool to_int(Bytes b, int64_t& out) {
  if (b.empty() || b.size() > 8) return false;
  uint64_t v = (b[0] & 0x80) ? ~uint64_t(0) : 0;
  for (uint8_t c : b) v = v << 8 | c;
  out = int64_t(v);
  return true;
}

}  // namespace trawl::ber
