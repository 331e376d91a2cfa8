#include "flows/tcp_reassembler.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;

struct Recorder : TcpReassembler::Receiver {
  void on_bytes(Bytes data, int64_t) override { out.append(as_text(data)); }
  void on_gap(uint64_t length, int64_t) override { out += "[gap " + std::to_string(length) + "]"; }
  std::string out;
};

class ReassemblerTest : public ::testing::Test {
 protected:
  void SetUp() override { r.set_budget(&memory, &budget, &counters); }
  bool seg(uint32_t seq, std::string_view data) { return r.segment(seq, bytes(data), 0, rec); }

  ReassemblyBudget budget;
  ReassemblyCounters counters;
  MemoryBudget memory{budget.max_bytes};
  TcpReassembler r;
  Recorder rec;
};

TEST_F(ReassemblerTest, InOrderAfterSyn) {
  r.syn(999);
  seg(1000, "hello ");
  seg(1006, "world");
  EXPECT_EQ(rec.out, "hello world");
  EXPECT_EQ(counters.segments, 2u);
}

TEST_F(ReassemblerTest, OutOfOrderIsBufferedUntilTheHoleFills) {
  r.syn(0);
  seg(7, "world");
  seg(12, "!");
  EXPECT_EQ(rec.out, "");
  EXPECT_EQ(r.buffered(), 6u + 2 * TcpReassembler::kPieceOverhead);
  seg(1, "hello ");
  EXPECT_EQ(rec.out, "hello world!");
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_EQ(memory.used(), 0u);
  EXPECT_EQ(counters.out_of_order, 2u);
}

TEST_F(ReassemblerTest, RetransmissionIsDeliveredOnce) {
  r.syn(0);
  seg(1, "abc");
  EXPECT_TRUE(seg(1, "abc"));
  seg(4, "def");
  EXPECT_EQ(rec.out, "abcdef");
  EXPECT_EQ(counters.retransmitted, 1u);
}

TEST_F(ReassemblerTest, OverlapKeepsTheFirstCopy) {
  r.syn(0);
  seg(1, "abcd");
  seg(3, "XXef");  // "cd" was delivered already: the first copy wins
  EXPECT_EQ(rec.out, "abcdef");
  EXPECT_EQ(counters.overlaps, 1u);
}

TEST_F(ReassemblerTest, OverlappingBufferedSegmentsKeepTheFirstCopy) {
  r.syn(0);
  seg(5, "EFGH");
  seg(3, "cdXX");  // buffered too; "EF" from the first copy wins when draining
  seg(1, "ab");
  EXPECT_EQ(rec.out, "abcdEFGH");
}

TEST_F(ReassemblerTest, GapDeclaredWhenThePeerAcknowledgesPastIt) {
  r.syn(0);
  seg(1, "abc");
  seg(10, "xyz");  // bytes 4..9 were never captured
  r.acknowledged(13, 0, rec);
  EXPECT_EQ(rec.out, "abc[gap 6]xyz");
  EXPECT_EQ(counters.gaps, 1u);
  EXPECT_EQ(counters.gap_bytes, 6u);
}

TEST_F(ReassemblerTest, AckBeforeTheHoleDoesNotSkipIt) {
  r.syn(0);
  seg(1, "abc");
  seg(10, "xyz");
  r.acknowledged(4, 0, rec);
  EXPECT_EQ(rec.out, "abc");
  seg(4, "defghi");
  EXPECT_EQ(rec.out, "abcdefghixyz");
  EXPECT_EQ(counters.gaps, 0u);
}

TEST_F(ReassemblerTest, FlushSkipsHolesAtTheEnd) {
  r.syn(0);
  seg(1, "a");
  seg(5, "e");
  seg(9, "i");
  r.flush(0, rec);
  EXPECT_EQ(rec.out, "a[gap 3]e[gap 3]i");
}

TEST_F(ReassemblerTest, MidstreamPickupStartsAtTheFirstSegment) {
  seg(5000, "GET / HTTP/1.1\r\n");
  seg(5016, "\r\n");
  EXPECT_EQ(rec.out, "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(ReassemblerTest, SequenceNumbersWrap) {
  r.syn(0xFFFFFFFD);
  seg(0xFFFFFFFE, "ab");
  seg(0, "cd");
  seg(4, "gh");
  seg(2, "ef");
  EXPECT_EQ(rec.out, "abcdefgh");
}

TEST_F(ReassemblerTest, PerConnectionCapSkipsTheHoleAndCounts) {
  budget.per_connection = 8;
  r.syn(0);
  seg(1, "a");
  seg(10, "12345");
  seg(15, "6789");  // buffered 9 > 8: give up on bytes 2..9
  EXPECT_EQ(rec.out, "a[gap 8]123456789");
  EXPECT_EQ(counters.connection_cap_hits, 1u);
}

TEST_F(ReassemblerTest, FloodOfTinySegmentsHitsTheCapLikeBytesWould) {
  budget.per_connection = 64 * 1024;
  r.syn(0);
  for (uint32_t i = 0; i < 5000; ++i) seg(10 + 2 * i, "x");  // 1-byte pieces with holes
  EXPECT_GE(counters.connection_cap_hits, 1u);
  EXPECT_LE(r.buffered(), budget.per_connection);
}

// The global cap is a budget every connection of the process shares: what one
// holds, another cannot.
TEST_F(ReassemblerTest, GlobalCapDropsSegmentsAndCounts) {
  MemoryBudget small(100);
  TcpReassembler a, b;
  a.set_budget(&small, &budget, &counters);
  b.set_budget(&small, &budget, &counters);
  a.syn(0);
  b.syn(0);
  a.segment(10, bytes("1234"), 0, rec);  // 4 bytes + a piece's overhead: 68 of 100
  EXPECT_EQ(counters.global_cap_drops, 0u);
  b.segment(10, bytes("12345"), 0, rec);
  EXPECT_EQ(counters.global_cap_drops, 1u);
  EXPECT_EQ(counters.global_cap_dropped_bytes, 5u);
  EXPECT_EQ(b.buffered(), 0u);
  a.flush(0, rec);
  EXPECT_EQ(small.used(), 0u);
  b.segment(10, bytes("12345"), 0, rec);  // room again
  EXPECT_EQ(counters.global_cap_drops, 1u);
  b.flush(0, rec);
}

}  // namespace
}  // namespace trawl
