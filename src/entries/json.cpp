#include "entries/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/scan.h"
#include "entries/json_simd.h"

namespace trawl {

Json& Json::set(std::string key, Json value) {
  if (!is_object()) v_ = Object{};
  auto& o = std::get<Object>(v_);
  if (o.capacity() == 0) o.reserve(8);  // one allocation for most objects, not four
  o.emplace_back(std::move(key), std::move(value));
  return o.back().second;
}

Json& Json::operator[](std::string_view key) {
  if (!is_object()) v_ = Object{};
  auto& o = std::get<Object>(v_);
  for (auto& [k, v] : o)
    if (k == key) return v;
  o.emplace_back(std::string(key), Json());
  return o.back().second;
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_))
    if (k == key) return &v;
  return nullptr;
}

Json& Json::push(Json value) {
  if (!is_array()) v_ = Array{};
  auto& a = std::get<Array>(v_);
  if (a.capacity() == 0) a.reserve(4);
  a.push_back(std::move(value));
  return a.back();
}

size_t Json::size() const {
  if (is_array()) return std::get<Array>(v_).size();
  if (is_object()) return std::get<Object>(v_).size();
  return 0;
}

namespace {

// Length of the valid UTF-8 sequence starting at p[0], or 0 when invalid.
size_t utf8_sequence_length(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  size_t len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

// The JSON form of each ASCII byte, padded to 8 so it is copied branch-free.
struct EscapeTable {
  struct Form {
    char text[7];
    uint8_t length;
  };
  Form ascii[128];
  constexpr EscapeTable() : ascii() {
    constexpr char kHex[] = "0123456789abcdef";
    for (int c = 0; c < 128; ++c) {
      Form& f = ascii[c];
      if (c < 0x20) {
        f = {{'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15], 0}, 6};
      } else {
        f = {{char(c), 0, 0, 0, 0, 0, 0}, 1};
      }
    }
    const char pairs[][2] = {{'"', '"'},  {'\\', '\\'}, {'\n', 'n'}, {'\r', 'r'},
                             {'\t', 't'}, {'\b', 'b'},  {'\f', 'f'}};
    for (const auto& pr : pairs) ascii[uint8_t(pr[0])] = {{'\\', pr[1], 0, 0, 0, 0, 0}, 2};
  }
};
constexpr EscapeTable kEscape;

// A byte >= 0x80 at p[i]: a valid UTF-8 sequence is copied, an invalid byte is
// written as its Latin-1 code point. Returns the new output position; advances i.
char* write_non_ascii(const unsigned char* p, size_t n, size_t& i, char* q, bool* invalid) {
  if (size_t len = utf8_sequence_length(p + i, n - i)) {
    std::memcpy(q, p + i, len);
    i += len;
    return q + len;
  }
  if (invalid) *invalid = true;
  unsigned char c = p[i++];
  *q++ = char(0xC0 | (c >> 6));
  *q++ = char(0x80 | (c & 0x3F));
  return q;
}

namespace {

// What write_json_string writes, gathered in a stack buffer appended in
// blocks; a block of 16 input bytes writes at most 96 (8 bytes of each escape
// form are copied).
// The write position `q` is passed by value and returned, so it stays in a
// register in the loops.
class EscapeBuffer {
 public:
  explicit EscapeBuffer(std::string& out) : out_(out) {}
  char* start() { return buf_; }
  char* make_room(char* q) {
    if (q <= buf_ + 4096) return q;
    out_.append(buf_, size_t(q - buf_));
    return buf_;
  }
  void close_quote(char* q) {
    *q++ = '"';
    out_.append(buf_, size_t(q - buf_));
  }

 private:
  std::string& out_;
  char buf_[4096 + 128];
};

// Every byte from `i` on, eight at a time where none needs escaping.
inline char* escape_words(EscapeBuffer& b, char* q, const unsigned char* p, size_t n, size_t i,
                          bool* invalid_utf8) {
  while (i < n) {
    q = b.make_room(q);
    if (n - i >= 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (!json_detail::word_needs_escape(w)) {
        std::memcpy(q, p + i, 8);
        q += 8;
        i += 8;
        continue;
      }
    }
    for (size_t stop = std::min(i + 8, n); i < stop;) {
      unsigned char c = p[i];
      if (c < 0x80) {
        const EscapeTable::Form& f = kEscape.ascii[c];
        std::memcpy(q, f.text, 8);  // 8 bytes copied, `length` of them kept
        q += f.length;
        ++i;
      } else {
        q = write_non_ascii(p, n, i, q, invalid_utf8);
      }
    }
  }
  return q;
}

#if defined(__SSE2__)
using json_detail::special_bytes;

// Keys, names, addresses (at most 16 bytes) that need no escape: one check
// as they are copied, one append.
inline bool write_short_plain(std::string& out, const unsigned char* p, size_t n) {
  char quoted[18];
  if (!json_detail::copy_short_if_plain(quoted + 1, reinterpret_cast<const char*>(p), n))
    return false;
  quoted[0] = '"';
  quoted[n + 1] = '"';
  out.append(quoted, n + 2);
  return true;
}

// The rest of a string and its closing quote when its only bytes to escape
// are '"' and '\\' (JSON bodies are full of quotes): false, and `out` as it
// was, at a byte the full escaper must see.
inline bool append_escaping_quotes(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + 2 * s.size() + 17);
  char* end = json_detail::copy_escaping_quotes(out.data() + at, s.data(), s.size());
  if (!end) {
    out.resize(at);
    return false;
  }
  *end++ = '"';
  out.resize(size_t(end - out.data()));
  return true;
}

// Every ASCII byte to escape in one block at once (JSON bodies hold several).
// `done` gets the bytes of the block done; it stops before a non-ASCII byte,
// which the caller hands to the UTF-8 check. Copies read the input itself where
// 32 bytes remain (a copy back of a just-stored block stalls). Returns `q`.
inline char* escape_block(char* q, const unsigned char* p, size_t n, size_t i, size_t len,
                          __m128i v, unsigned mask, unsigned char* block, unsigned& done,
                          bool& non_ascii) {
  const unsigned char* src = block;
  if (n - i >= 32)
    src = p + i;
  else if (len == 16)
    _mm_store_si128(reinterpret_cast<__m128i*>(block), v);
  done = 0;
  while (mask) {
    unsigned at = unsigned(__builtin_ctz(mask));
    std::memcpy(q, src + done, 16);  // fixed size: no call; only at - done count
    q += at - done;
    unsigned char c = p[i + at];
    if (c >= 0x80) {
      non_ascii = true;
      done = at;
      return q;
    }
    const EscapeTable::Form& f = kEscape.ascii[c];
    std::memcpy(q, f.text, 8);
    q += f.length;
    done = at + 1;
    mask &= mask - 1;
  }
  std::memcpy(q, src + done, 16);
  q += len - done;
  done = unsigned(len);
  return q;
}

// Sixteen bytes at a time (the last block padded): a clean block is copied
// whole, one with bytes to escape goes through escape_block. Bodies (often
// JSON, so full of '"') spend most of their time here.
inline char* escape_blocks(EscapeBuffer& b, char* q, const unsigned char* p, size_t n, size_t i,
                           bool* invalid_utf8) {
  while (i < n) {
    q = b.make_room(q);
    const size_t len = std::min<size_t>(16, n - i);
    alignas(16) unsigned char block[32];  // the block, then room for fixed-size copies
    __m128i v;
    unsigned mask;
    if (len == 16) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      mask = special_bytes(v);
    } else {
      std::memset(block, 0, sizeof block);
      std::memcpy(block, p + i, len);
      v = _mm_load_si128(reinterpret_cast<const __m128i*>(block));
      mask = special_bytes(v) & ((1u << len) - 1);  // the zero padding is not text
    }
    if (mask == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q), v);
      q += len;
      i += len;
      continue;
    }
    bool non_ascii = false;
    unsigned done;
    q = escape_block(q, p, n, i, len, v, mask, block, done, non_ascii);
    i += done;
    if (non_ascii) q = write_non_ascii(p, n, i, q, invalid_utf8);
  }
  return q;
}
#endif

}  // namespace

namespace json_detail {

bool is_plain_long(std::string_view s) {
  const size_t n = s.size();
  const char* p = s.data();
#if defined(__SSE2__)
  unsigned special = 0;  // sixteen bytes a step, the last block overlapping
  for (size_t i = 0; i + 16 <= n; i += 16)
    special |= special_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
  special |= special_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
  return special == 0;
#else
  uint64_t w;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&w, p + i, 8);
    if (json_detail::word_needs_escape(w)) return false;
  }
  std::memcpy(&w, p + n - 8, 8);  // the last, partial word again, overlapping
  return !json_detail::word_needs_escape(w);
#endif
}

}  // namespace json_detail

void write_json_string(std::string& out, std::string_view s, bool* invalid_utf8) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  EscapeBuffer b(out);
  char* q = b.start();
  size_t i = 0;
#if defined(__SSE2__)
  if (n <= 16 && write_short_plain(out, p, n)) return;
  // Text that needs no escape (keys, most values) goes straight to `out`, one copy.
  i = json_plain_prefix(p, n);
  if (i == n) {  // plain text, the usual case: one copy between quotes
    out.reserve(out.size() + n + 2);
    out += '"';
    out.append(s.data(), n);
    out += '"';
    return;
  }
  out += '"';
  if (i > 0) out.append(s.data(), i);
  if (n - i <= 4096 && append_escaping_quotes(out, s.substr(i))) return;
  q = escape_blocks(b, q, p, n, i, invalid_utf8);
  i = n;
#else
  out += '"';
#endif
  q = escape_words(b, q, p, n, i, invalid_utf8);
  b.close_quote(q);
}

void Json::write(std::string& out) const {
  switch (v_.index()) {
    case 0:
      out += "null";
      break;
    case 1:
      out += std::get<bool>(v_) ? "true" : "false";
      break;
    case 2:
      write_json_number(out, std::get<int64_t>(v_));
      break;
    case 3:
      write_json_number(out, std::get<double>(v_));
      break;
    case 4:
      write_json_string(out, std::get<std::string>(v_));
      break;
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& item : std::get<Array>(v_)) {
        if (!first) out += ',';
        first = false;
        item.write(out);
      }
      out += ']';
      break;
    }
    case 6: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : std::get<Object>(v_)) {
        if (!first) out += ',';
        first = false;
        write_json_string(out, k);
        out += ':';
        v.write(out);
      }
      out += '}';
      break;
    }
    case 7:
      out += std::get<Raw>(v_).text;
      break;
  }
}

namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The digits of v (< 10^8), written so that they end at `end`: exactly `width`
// of them, zero-padded, with 32-bit arithmetic and two digits a step.
void put_digits(char* end, uint32_t v, int width) {
  char* p = end;
  for (; width >= 2; width -= 2) {
    p -= 2;
    std::memcpy(p, kDigitPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (width) *--p = char('0' + v);
}

// Of v < 10^8, in three comparisons.
int digit_count(uint32_t v) {
  if (v < 10000) return v < 100 ? (v < 10 ? 1 : 2) : (v < 1000 ? 3 : 4);
  return v < 1000000 ? (v < 100000 ? 5 : 6) : (v < 10000000 ? 7 : 8);
}

}  // namespace

char* format_json_number(char* q, int64_t n) {
  // Every entry writes half a dozen numbers (ports, times, sizes): they are
  // split into blocks of eight digits, each written with 32-bit arithmetic.
  uint64_t v = uint64_t(n);
  if (n < 0) {
    *q++ = '-';
    v = ~v + 1;
  }
  if (v < 100000000) {
    int d = digit_count(uint32_t(v));
    put_digits(q + d, uint32_t(v), d);
    return q + d;
  }
  uint32_t low = uint32_t(v % 100000000);
  v /= 100000000;
  if (v < 100000000) {
    int d = digit_count(uint32_t(v));
    put_digits(q + d, uint32_t(v), d);
    put_digits(q + d + 8, low, 8);
    return q + d + 8;
  }
  uint32_t mid = uint32_t(v % 100000000);
  v /= 100000000;  // at most four digits left
  int d = digit_count(uint32_t(v));
  put_digits(q + d, uint32_t(v), d);
  put_digits(q + d + 8, mid, 8);
  put_digits(q + d + 16, low, 8);
  return q + d + 16;
}

char* format_json_number(char* q, double d) {
  if (!std::isfinite(d)) {
    std::memcpy(q, "null", 4);
    return q + 4;
  }
  // Whole thousandths below 1e5 (elapsed milliseconds from microseconds, the
  // common case) are written directly; their shortest form is that decimal.
  if (std::fabs(d) < 1e5 && !(d == 0 && std::signbit(d))) {
    double scaled = d * 1000;
    int64_t k = int64_t(scaled);
    if (double(k) == scaled && double(k) / 1000 == d) {
      char digits[24];
      char* end = digits + sizeof digits;
      char* p = end;
      uint64_t m = uint64_t(k < 0 ? -k : k);
      int frac = 3;
      while (frac > 0 && m % 10 == 0) {  // trailing zeros of the fraction go
        m /= 10;
        --frac;
      }
      for (int i = 0; i < frac; ++i, m /= 10) *--p = char('0' + m % 10);
      if (frac > 0) *--p = '.';
      do {
        *--p = char('0' + m % 10);
        m /= 10;
      } while (m);
      if (k < 0) *--p = '-';
      std::memcpy(q, p, size_t(end - p));
      return q + (end - p);
    }
  }
  // The shortest text that reads back as the same double: 1.5, 2, 0.377,
  // 1e+300 (a fixed "%.3f" overflowed its buffer on huge values). Whole values
  // past 64-bit integers go in exponent form: written as 21 digits, JSON
  // parsers (simdjson among them) refuse them as integers too big.
  auto [end, ec] = std::fabs(d) < 1e18 ? std::to_chars(q, q + 32, d)
                                       : std::to_chars(q, q + 32, d, std::chars_format::scientific);
  return ec == std::errc() ? end : q;
}

void write_json_number(std::string& out, int64_t n) {
  char buf[24];
  out.append(buf, size_t(format_json_number(buf, n) - buf));
}

void write_json_number(std::string& out, double d) {
  char buf[32];
  out.append(buf, size_t(format_json_number(buf, d) - buf));
}

std::string Json::dump() const {
  std::string out;
  write(out);
  return out;
}

}  // namespace trawl
