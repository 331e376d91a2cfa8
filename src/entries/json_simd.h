// SSE2 helpers of the JSON string writer, for writers of their own that copy
// many short plain strings (header fields).
#pragma once

#include <cstddef>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "entries/json.h"

namespace trawl::json_detail {

#ifdef __SSE2__
// The bytes of a block that need attention: '"', '\\', controls, and (signed
// compare: bytes >= 0x80 are negative, so "< 0x20" also finds them) non-ASCII.
inline unsigned special_bytes(__m128i v) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  return unsigned(_mm_movemask_epi8(
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                   _mm_cmplt_epi8(v, space))));
}
#endif

// Copies p[0, n) to q and returns true when it needs no escape in a JSON
// string. Reads and writes whole blocks of sixteen: p and q must have room
// for fifteen bytes past n (what is past n is written but not text).
inline bool copy_if_plain(char* q, const char* p, size_t n) {
#ifdef __SSE2__
  unsigned special = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), v);
    special |= special_bytes(v);
  }
  if (i < n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), v);
    special |= special_bytes(v) & ((1u << (n - i)) - 1);
  }
  return special == 0;
#else
  std::memcpy(q, p, n);
  return is_plain_json_text(std::string_view(p, n));
#endif
}

// copy_if_plain() for a header name: ASCII capitals are lowered as they are
// copied (the same room past n).
inline bool copy_lower_if_plain(char* q, const char* p, size_t n) {
#ifdef __SSE2__
  const __m128i before_a = _mm_set1_epi8('A' - 1), after_z = _mm_set1_epi8('Z' + 1),
                case_bit = _mm_set1_epi8(0x20);
  auto lower = [&](__m128i v) {
    __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z));
    return _mm_or_si128(v, _mm_and_si128(upper, case_bit));
  };
  unsigned special = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), lower(v));
    special |= special_bytes(v);
  }
  if (i < n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), lower(v));
    special |= special_bytes(v) & ((1u << (n - i)) - 1);
  }
  return special == 0;
#else
  for (size_t i = 0; i < n; ++i) q[i] = p[i] >= 'A' && p[i] <= 'Z' ? char(p[i] + 0x20) : p[i];
  return is_plain_json_text(std::string_view(p, n));
#endif
}

// Copies p[0, n) to q as the inside of a JSON string when its only bytes to
// escape are '"' and '\\' (JSON bodies, ETags): returns the end, or nullptr
// at a control or non-ASCII byte, which the full escaper must see. q needs
// room for 2n + 16 bytes; p is read only within [p, p + n).
inline char* copy_escaping_quotes(char* q, const char* p, size_t n) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  alignas(16) char block[32] = {};  // a block, then room for fixed-size copies out of it
  for (size_t i = 0; i < n; i += 16) {
    const size_t len = n - i < 16 ? n - i : 16;
    __m128i v;
    if (len == 16) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    } else {
      std::memcpy(block, p + i, len);
      v = _mm_load_si128(reinterpret_cast<const __m128i*>(block));
    }
    const unsigned live = len == 16 ? 0xFFFFu : (1u << len) - 1;
    if (unsigned(_mm_movemask_epi8(_mm_cmplt_epi8(v, space))) & live) return nullptr;
    unsigned escapes = unsigned(_mm_movemask_epi8(
                           _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)))) &
                       live;
    if (!escapes) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q), v);
      q += len;
      continue;
    }
    _mm_store_si128(reinterpret_cast<__m128i*>(block), v);
    unsigned done = 0;
    for (; escapes; escapes &= escapes - 1) {
      unsigned at = unsigned(__builtin_ctz(escapes));
      std::memcpy(q, block + done, 16);  // fixed size; only at - done of it count
      q += at - done;
      *q++ = '\\';
      *q++ = block[at];
      done = at + 1;
    }
    std::memcpy(q, block + done, 16);
    q += len - done;
  }
  return q;
#else
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x80) return nullptr;
    if (c == '"' || c == '\\') *q++ = '\\';
    *q++ = char(c);
  }
  return q;
#endif
}

// copy_if_plain() for at most sixteen bytes, reading and writing only p[0, n) and
// q[0, n): two overlapping words each way (names, addresses, versions).
inline bool copy_short_if_plain(char* q, const char* p, size_t n) {
  uint64_t head = 0x2020202020202020ull, tail = head;  // spaces: plain
  if (n >= 8) {
    std::memcpy(&head, p, 8);
    std::memcpy(&tail, p + n - 8, 8);
    std::memcpy(q, &head, 8);
    std::memcpy(q + n - 8, &tail, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    std::memcpy(q, &a, 4);
    std::memcpy(q + n - 4, &b, 4);
    head = a | uint64_t(b) << 32;
  } else {
    for (size_t i = 0; i < n; ++i) {
      q[i] = p[i];
      head = head << 8 | uint8_t(p[i]);
    }
  }
#ifdef __SSE2__
  return special_bytes(_mm_set_epi64x(int64_t(head), int64_t(tail))) == 0;
#else
  return !word_needs_escape(head) && !word_needs_escape(tail);
#endif
}

}  // namespace trawl::json_detail
