#include "decode/decoder.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <stdexcept>
#include <vector>

namespace trawl {
namespace {

using Buf = std::vector<uint8_t>;

Buf ipv4_udp(const Buf& payload, uint16_t id = 1, uint16_t frag = 0, size_t pad = 0) {
  Buf udp = {0x30, 0x39, 0x00, 0x35, 0, 0, 0, 0};  // 12345 -> 53
  uint16_t ulen = uint16_t(8 + payload.size());
  udp[4] = uint8_t(ulen >> 8);
  udp[5] = uint8_t(ulen);
  udp.insert(udp.end(), payload.begin(), payload.end());
  Buf ip = {0x45,
            0,
            0,
            0,
            uint8_t(id >> 8),
            uint8_t(id),
            uint8_t(frag >> 8),
            uint8_t(frag),
            64,
            17,
            0,
            0,
            192,
            168,
            0,
            1,
            192,
            168,
            0,
            2};
  uint16_t total = uint16_t(20 + udp.size());
  ip[2] = uint8_t(total >> 8);
  ip[3] = uint8_t(total);
  ip.insert(ip.end(), udp.begin(), udp.end());
  ip.insert(ip.end(), pad, 0xEE);
  return ip;
}

Buf concat(Buf a, const Buf& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Frame frame(int link, const Buf& data) {
  Frame f;
  f.link_type = link;
  f.data = Bytes(data);
  f.wire_length = uint32_t(data.size());
  return f;
}

const Buf kEthIpv4 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};

TEST(Decoder, EthernetIpv4UdpWithPaddingTrimmed) {
  Decoder d;
  Buf data = concat(kEthIpv4, ipv4_udp({'h', 'i'}, 1, 0, 20));
  Packet p;
  ASSERT_EQ(d.decode(frame(DLT_EN10MB, data), p), DecodeResult::kPacket);
  EXPECT_EQ(p.protocol, kUdp);
  EXPECT_EQ(p.src.to_string(), "192.168.0.1");
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(std::string(as_text(p.payload)), "hi");
}

TEST(Decoder, VlanAndQinQ) {
  Decoder d;
  Buf eth = {0,  1,    2,    3, 4,  5,    6,    7, 8,  9,    10,
             11, 0x88, 0xA8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00};
  Packet p;
  Buf data = concat(eth, ipv4_udp({'x'}));
  ASSERT_EQ(d.decode(frame(DLT_EN10MB, data), p), DecodeResult::kPacket);
  EXPECT_EQ(std::string(as_text(p.payload)), "x");
}

TEST(Decoder, CookedRawNullAndPpp) {
  Buf ip = ipv4_udp({'y'});
  Buf sll(16, 0);
  sll[14] = 0x08;
  Buf sll2(20, 0);
  sll2[0] = 0x08;
  Buf null_hdr = {2, 0, 0, 0};
  Buf ppp = {0xFF, 0x03, 0x00, 0x21};
  struct Case {
    int link;
    Buf data;
  } cases[] = {{DLT_LINUX_SLL, concat(sll, ip)},
               {DLT_LINUX_SLL2, concat(sll2, ip)},
               {DLT_RAW, ip},
               {DLT_NULL, concat(null_hdr, ip)},
               {DLT_LOOP, concat(null_hdr, ip)},
               {DLT_PPP, concat(ppp, ip)},
               {DLT_IPV4, ip}};
  for (const auto& c : cases) {
    Decoder d;
    Packet p;
    ASSERT_EQ(d.decode(frame(c.link, c.data), p), DecodeResult::kPacket) << c.link;
    EXPECT_EQ(std::string(as_text(p.payload)), "y") << c.link;
  }
}

TEST(Decoder, UnknownLinkTypeIsAClearError) {
  try {
    Decoder::check_link_type(105);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported link type 105 (IEEE802_11)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Decoder, Ipv4FragmentsAreReassembledInAnyOrder) {
  Buf payload(40);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t('a' + i % 26);
  Buf whole = ipv4_udp(payload, 77);  // IP header + 8 UDP + 40 payload
  Buf l4(whole.begin() + 20, whole.end());
  auto fragment = [&](size_t off, size_t len, bool more) {
    Buf ip(whole.begin(), whole.begin() + 20);
    uint16_t frag = uint16_t((more ? 0x2000 : 0) | off / 8);
    ip[6] = uint8_t(frag >> 8);
    ip[7] = uint8_t(frag);
    uint16_t total = uint16_t(20 + len);
    ip[2] = uint8_t(total >> 8);
    ip[3] = uint8_t(total);
    ip.insert(ip.end(), l4.begin() + long(off), l4.begin() + long(off + len));
    return ip;
  };
  Decoder d;
  Packet p;
  Buf f2 = fragment(24, 24, false), f1 = fragment(0, 24, true);
  EXPECT_EQ(d.decode(frame(DLT_RAW, f2), p), DecodeResult::kSkipped);
  ASSERT_EQ(d.decode(frame(DLT_RAW, f1), p), DecodeResult::kPacket);
  EXPECT_EQ(p.payload.size(), 40u);
  EXPECT_EQ(p.payload[39], payload[39]);
  EXPECT_EQ(d.defrag_counters().reassembled, 1u);
}

TEST(Decoder, Ipv6ExtensionHeadersAndFragments) {
  Buf udp = {0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
  auto ipv6 = [](uint8_t next, const Buf& rest) {
    Buf h(40, 0);
    h[0] = 0x60;
    h[4] = uint8_t(rest.size() >> 8);
    h[5] = uint8_t(rest.size());
    h[6] = next;
    h[7] = 64;
    h[23] = 1;
    h[39] = 2;
    return concat(h, rest);
  };
  // hop-by-hop (8 bytes) then UDP
  Buf hop = {17, 0, 1, 4, 0, 0, 0, 0};
  Decoder d;
  Packet p;
  Buf with_hop = ipv6(0, concat(hop, udp));
  ASSERT_EQ(d.decode(frame(DLT_RAW, with_hop), p), DecodeResult::kPacket);
  EXPECT_EQ(std::string(as_text(p.payload)), "abcd");
  EXPECT_EQ(p.src.to_string(), "::1");
  // the same UDP datagram in two fragments
  Buf frag1 = {17, 0, 0x00, 0x01, 0, 0, 0, 9};  // offset 0, more
  Buf frag2 = {17, 0, 0x00, 0x08, 0, 0, 0, 9};  // offset 8, last
  Buf part1(udp.begin(), udp.begin() + 8), part2(udp.begin() + 8, udp.end());
  Buf first = ipv6(44, concat(frag1, part1)), second = ipv6(44, concat(frag2, part2));
  EXPECT_EQ(d.decode(frame(DLT_RAW, first), p), DecodeResult::kSkipped);
  ASSERT_EQ(d.decode(frame(DLT_RAW, second), p), DecodeResult::kPacket);
  EXPECT_EQ(std::string(as_text(p.payload)), "abcd");
}

TEST(Decoder, TruncatedHeadersAreCountedNotFatal) {
  Decoder d;
  Packet p;
  Buf short_ip = {0x45, 0, 0, 40, 0, 0};
  EXPECT_EQ(d.decode(frame(DLT_RAW, short_ip), p), DecodeResult::kSkipped);
  Buf tcp_cut = {0x45, 0, 0, 30, 0, 0, 0, 0, 64, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 80, 0, 81};
  EXPECT_EQ(d.decode(frame(DLT_RAW, tcp_cut), p), DecodeResult::kSkipped);
  EXPECT_EQ(d.counters().malformed, 2u);
}

}  // namespace
}  // namespace trawl
