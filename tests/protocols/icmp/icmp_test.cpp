#include "protocols/icmp/icmp.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using Buf = std::vector<uint8_t>;

struct IcmpTest : ::testing::Test {
  Packet packet(const Buf& icmp, uint8_t from, uint8_t to, int64_t ts, bool v6 = false) {
    Packet p;
    p.protocol = v6 ? kIcmpv6 : kIcmp;
    p.src.v6 = p.dst.v6 = v6;
    p.src.bytes[v6 ? 15 : 3] = from;
    p.dst.bytes[v6 ? 15 : 3] = to;
    p.timestamp_us = ts;
    p.l4 = Bytes(icmp);
    return p;
  }
  testing::CapturingSink sink;
  DissectCounters counters;
  IcmpTracker icmp{sink, counters};
};

TEST_F(IcmpTest, EchoPairsWithReplyAndRoundTrip) {
  Buf req = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  Buf rep = {0, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  Buf held1 = req, held2 = rep;
  icmp.add(packet(held1, 1, 2, 1000));
  EXPECT_TRUE(sink.entries.empty());
  icmp.add(packet(held2, 2, 1, 3500));
  ASSERT_EQ(sink.entries.size(), 1u);
  const Entry& e = sink.entries[0];
  EXPECT_EQ(testing::num(e.request, "id"), 0x1234);
  EXPECT_EQ(testing::num(e.request, "seq"), 1);
  EXPECT_EQ(testing::num(*e.response, "type"), 0);
  EXPECT_DOUBLE_EQ(e.elapsed_ms, 2.5);
  EXPECT_EQ(e.src.ip, "0.0.0.1");
}

TEST_F(IcmpTest, Icmpv6EchoAndUnansweredTimeout) {
  Buf req = {128, 0, 0, 0, 0, 7, 0, 9};
  Buf rep = {129, 0, 0, 0, 0, 7, 0, 9};
  icmp.add(packet(req, 1, 2, 0, true));
  icmp.add(packet(rep, 2, 1, 10, true));
  Buf lonely = {128, 0, 0, 0, 0, 7, 0, 10};
  icmp.add(packet(lonely, 1, 2, 20, true));
  icmp.add(packet(Buf{135, 0, 0, 0, 0, 0, 0, 0}, 1, 2, IcmpTracker::kEchoTimeoutUs + 100, true));
  ASSERT_EQ(sink.entries.size(), 3u);
  EXPECT_EQ(sink.entries[0].version, "6");
  EXPECT_EQ(sink.entries[1].error, "no response");
  EXPECT_EQ(testing::str(sink.entries[2].request, "typeName"), "neighbor-solicitation");
}

TEST_F(IcmpTest, ErrorCarriesTheQuotedFiveTuple) {
  Buf err = {3, 3, 0, 0, 0, 0, 0, 0,
             // quoted IPv4 header: 10.0.0.2 -> 10.0.0.1, UDP
             0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
             // quoted UDP header: 5000 -> 9999
             0x13, 0x88, 0x27, 0x0F, 0, 8, 0, 0};
  icmp.add(packet(err, 1, 2, 5));
  ASSERT_EQ(sink.entries.size(), 1u);
  EXPECT_EQ(sink.entries[0].request.find("original")->dump(),
            R"({"src":"10.0.0.2","dst":"10.0.0.1","protocol":17,"srcPort":5000,"dstPort":9999})");
  EXPECT_FALSE(sink.entries[0].response.has_value());
}

TEST_F(IcmpTest, ReplyWithoutRequest) {
  Buf rep = {0, 0, 0, 0, 0, 1, 0, 1};
  icmp.add(packet(rep, 2, 1, 5));
  ASSERT_EQ(sink.entries.size(), 1u);
  EXPECT_EQ(sink.entries[0].error, "no request");
  EXPECT_EQ(sink.entries[0].request.find("type"), nullptr);
  EXPECT_EQ(sink.entries[0].src.ip, "0.0.0.1");
}

}  // namespace
}  // namespace trawl
