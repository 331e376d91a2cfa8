#include "decode/defragmenter.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;

struct DefragTest : ::testing::Test {
  Bytes add(uint32_t id, uint32_t offset, bool more, std::string_view data, int64_t ts = 0) {
    return d.add(src, dst, id, kUdp, offset, more, bytes(data), ts);
  }
  std::string text(Bytes b) { return std::string(as_text(b)); }
  IpAddress src, dst;
  Defragmenter d;
};

TEST_F(DefragTest, ReassemblesOutOfOrderAndKeepsDatagramsApart) {
  EXPECT_TRUE(add(1, 8, false, "world!!!").empty());
  EXPECT_TRUE(add(2, 0, true, "AAAAAAAA").empty());
  EXPECT_EQ(text(add(1, 0, true, "hello, ")), "");  // 7 bytes: a hole at 7 remains
  EXPECT_EQ(text(add(1, 7, true, " ")), "hello,  world!!!");
  EXPECT_EQ(text(add(2, 8, false, "BB")), "AAAAAAAABB");
  EXPECT_EQ(d.counters().reassembled, 2u);
}

TEST_F(DefragTest, OverlapKeepsTheFirstCopy) {
  add(3, 0, true, "abcdefgh");
  EXPECT_EQ(text(add(3, 4, false, "XXXXijkl")), "abcdefghijkl");
}

TEST_F(DefragTest, IncompleteDatagramsTimeOutAndAreCounted) {
  DefragLimits limits;
  limits.timeout_us = 100;
  Defragmenter small(limits);
  small.add(src, dst, 9, kUdp, 0, true, bytes("part"), 0);
  // Expiry runs every 1024 fragments; feed complete one-fragment-short datagrams.
  for (uint32_t i = 0; i < 1100; ++i)
    small.add(src, dst, 1000 + i, kUdp, 8, false, bytes("x"), 1000);
  EXPECT_GE(small.counters().timed_out, 1u);
}

TEST_F(DefragTest, CapsBoundMemoryAndAreCounted) {
  DefragLimits limits;
  limits.max_datagrams = 2;
  limits.max_bytes = 64;
  Defragmenter small(limits);
  small.add(src, dst, 1, kUdp, 0, true, bytes("a"), 0);
  small.add(src, dst, 2, kUdp, 0, true, bytes("b"), 0);
  small.add(src, dst, 3, kUdp, 0, true, bytes("c"), 0);      // third datagram: over the count
  small.add(src, dst, 1, kUdp, 1000, false, bytes("d"), 0);  // would grow past 64 bytes
  EXPECT_EQ(small.counters().cap_dropped, 2u);
}

TEST_F(DefragTest, OversizedDatagramIsMalformed) {
  EXPECT_TRUE(add(4, 65528, false, std::string(100, 'z')).empty());
  EXPECT_EQ(d.counters().malformed, 1u);
}

}  // namespace
}  // namespace trawl
