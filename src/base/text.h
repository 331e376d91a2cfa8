// Small text helpers shared by dissectors and sinks.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace trawl {

bool is_valid_utf8(std::string_view s);
// Valid UTF-8 without control bytes other than tab and line breaks: text a person wrote.
bool is_printable_utf8(std::string_view s);
std::string base64_encode(std::string_view s);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

// Inline: header parsing calls these for every field of every message.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A short text (an address) as its length and two words, read without a call
// to memcpy or memcmp: texts of up to 16 bytes with equal keys are equal;
// longer ones must also be compared whole.
struct ShortTextKey {
  uint64_t head = 0, tail = 0;
  size_t size = 0;
  bool operator==(const ShortTextKey&) const = default;
  bool decides() const { return size <= 16; }
};

inline ShortTextKey short_text_key(std::string_view s) {
  ShortTextKey k{0, 0, s.size()};
  size_t n = s.size();
  if (n >= 8) {  // two overlapping words
    std::memcpy(&k.head, s.data(), 8);
    std::memcpy(&k.tail, s.data() + n - 8, 8);
  } else if (n >= 4) {  // two overlapping halves, in one word
    uint32_t a, b;
    std::memcpy(&a, s.data(), 4);
    std::memcpy(&b, s.data() + n - 4, 4);
    k.head = a | uint64_t(b) << 32;
  } else {
    for (size_t i = 0; i < n; ++i) k.head |= uint64_t(uint8_t(s[i])) << (8 * i);
  }
  return k;
}

// ASCII letters of p[0, n) lowered in place, eight bytes a step (header
// names); the last word overlaps the one before (lowering twice is harmless).
inline void lower_ascii_in_place(char* p, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto lower_word = [](char* at) {
    uint64_t w;
    std::memcpy(&w, at, 8);
    uint64_t low7 = w & ~kHigh;
    uint64_t from_a = low7 + kOnes * (0x80 - 'A');      // high bit set from 'A' up
    uint64_t past_z = low7 + kOnes * (0x80 - 'Z' - 1);  // high bit set past 'Z'
    uint64_t upper = (from_a ^ past_z) & ~w & kHigh;    // ASCII bytes 'A'..'Z'
    w |= upper >> 2;                                    // 0x80 >> 2 is the case bit
    std::memcpy(at, &w, 8);
  };
  if (n < 8) {
    for (size_t i = 0; i < n; ++i)
      if (p[i] >= 'A' && p[i] <= 'Z') p[i] = char(p[i] - 'A' + 'a');
    return;
  }
  for (size_t i = 0; i + 8 <= n; i += 8) lower_word(p + i);
  if (n % 8) lower_word(p + n - 8);
}

// The first `c` in [p, end), or nullptr. Header lines and names are short:
// sixteen bytes a step inline beats a call to memchr on them.
inline const char* find_byte(const char* p, const char* end, char c) {
#ifdef __SSE2__
  const __m128i wanted = _mm_set1_epi8(c);
  for (; end - p >= 16; p += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned hits = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(block, wanted)));
    if (hits) return p + __builtin_ctz(hits);
  }
#endif
  for (; p < end; ++p)
    if (*p == c) return p;
  return nullptr;
}

// Without leading blanks and trailing blanks or carriage return.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The three decimal digits at p (a status code), or -1.
inline int three_digits(const char* p) {
  auto digit = [](char c) { return unsigned(c - '0') < 10; };
  if (!digit(p[0]) || !digit(p[1]) || !digit(p[2])) return -1;
  return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

// `s` as an unsigned decimal of at most 19 digits (no sign, no blanks): a
// length on the wire. False for anything else.
inline bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t n = 0;
  for (char c : s) {
    if (unsigned(c - '0') >= 10) return false;
    n = n * 10 + unsigned(c - '0');
  }
  out = n;
  return true;
}

}  // namespace trawl
