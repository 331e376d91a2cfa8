#include "base/scan.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace trawl {
namespace {

// What the scans promise, byte by byte: whole 16-byte blocks before the first
// block that holds a byte of `bad`.
template <typename Bad>
size_t reference(const std::string& s, Bad bad) {
  size_t i = 0;
  for (; s.size() - i >= 16; i += 16)
    for (size_t k = 0; k < 16; ++k)
      if (bad(uint8_t(s[i + k]))) return i;
  return i;
}

TEST(Scan, PrefixesEndAtTheBlockOfTheFirstByteThatNeedsAttention) {
  std::mt19937 rng(11);
  auto json_bad = [](uint8_t c) { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\'; };
  auto ascii_bad = [](uint8_t c) { return c >= 0x80; };
  const uint8_t specials[] = {'"', '\\', 0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xFF, ' ', '~'};
  for (int round = 0; round < 20000; ++round) {
    size_t n = rng() % 300;
    std::string s(n, 'a');
    for (auto& c : s) c = char('0' + rng() % 60);  // printable, some needing no escape
    for (auto& c : s)
      if (c == '"' || c == '\\') c = 'x';
    int marks = int(rng() % 3);
    for (int m = 0; m < marks && n > 0; ++m) s[rng() % n] = char(specials[rng() % sizeof specials]);
    // Offsets off alignment too, as strings inside buffers are.
    std::string padded = std::string(rng() % 16, ' ') + s;
    const auto* p = reinterpret_cast<const uint8_t*>(padded.data()) + (padded.size() - n);
    ASSERT_EQ(json_plain_prefix(p, n), reference(s, json_bad)) << s;
    ASSERT_EQ(ascii_prefix(p, n), reference(s, ascii_bad)) << s;
  }
}

}  // namespace
}  // namespace trawl
