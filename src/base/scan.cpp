#include "base/scan.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace trawl {

#if defined(__x86_64__)
namespace {

// SSE2 is in every x86-64; AVX2 (32 bytes a step, two steps per test) is
// chosen at run time where the processor has it.
// (__builtin_cpu_init first: static initializers may run before libgcc's.)
const bool kHasAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));

inline unsigned json_special16(__m128i v) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  // Signed compare: bytes >= 0x80 are negative, so "< 0x20" finds them too.
  return unsigned(_mm_movemask_epi8(
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                   _mm_cmplt_epi8(v, space))));
}

size_t json_plain_prefix_sse2(const uint8_t* p, size_t n, size_t i) {
  while (n - i >= 16 &&
         json_special16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0)
    i += 16;
  return i;
}

size_t ascii_prefix_sse2(const uint8_t* p, size_t n, size_t i) {
  while (n - i >= 16 &&
         _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0)
    i += 16;
  return i;
}

__attribute__((target("avx2"))) size_t json_plain_prefix_avx2(const uint8_t* p, size_t n) {
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'),
                space = _mm256_set1_epi8(0x20);
  size_t i = 0;
  while (n - i >= 64) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    // (No lambda here: it would not inherit the avx2 target.)
    __m256i hits = _mm256_or_si256(
        _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(b, quote)),
            _mm256_or_si256(_mm256_cmpeq_epi8(a, backslash), _mm256_cmpeq_epi8(b, backslash))),
        _mm256_or_si256(_mm256_cmpgt_epi8(space, a), _mm256_cmpgt_epi8(space, b)));
    if (!_mm256_testz_si256(hits, hits)) break;
    i += 64;
  }
  return i;
}

__attribute__((target("avx2"))) size_t ascii_prefix_avx2(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (n - i >= 64) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) != 0) break;
    i += 64;
  }
  return i;
}

}  // namespace

size_t json_plain_prefix(const uint8_t* p, size_t n) {
  // The wide loop stops at the 64 bytes holding the first special byte; the
  // narrow one finds its 16-byte block.
  return json_plain_prefix_sse2(p, n, kHasAvx2 && n >= 64 ? json_plain_prefix_avx2(p, n) : 0);
}

size_t ascii_prefix(const uint8_t* p, size_t n) {
  return ascii_prefix_sse2(p, n, kHasAvx2 && n >= 64 ? ascii_prefix_avx2(p, n) : 0);
}

#else

size_t json_plain_prefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; n - i >= 16; i += 16)
    for (size_t k = 0; k < 16; ++k)
      if (p[i + k] < 0x20 || p[i + k] >= 0x80 || p[i + k] == '"' || p[i + k] == '\\') return i;
  return i;
}

size_t ascii_prefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; n - i >= 16; i += 16)
    for (size_t k = 0; k < 16; ++k)
      if (p[i + k] >= 0x80) return i;
  return i;
}

#endif

}  // namespace trawl
