// A decoded packet: a view of one L4 datagram/segment, without copying the payload.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>

#include "base/bytes.h"

namespace trawl {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first four
  bool v6 = false;

  // Compared two words at a time (every packet's flow key is): the order is
  // the bytes' order, then IPv4 before IPv6.
  bool operator==(const IpAddress& o) const {
    return word(0) == o.word(0) && word(1) == o.word(1) && v6 == o.v6;
  }
  std::strong_ordering operator<=>(const IpAddress& o) const {
    if (word(0) != o.word(0)) return __builtin_bswap64(word(0)) <=> __builtin_bswap64(o.word(0));
    if (word(1) != o.word(1)) return __builtin_bswap64(word(1)) <=> __builtin_bswap64(o.word(1));
    return v6 <=> o.v6;
  }
  std::string to_string() const;

 private:
  uint64_t word(size_t i) const {
    uint64_t w;
    std::memcpy(&w, bytes.data() + 8 * i, 8);
    return w;
  }
};

enum IpProtocol : uint8_t {
  kIcmp = 1,
  kTcp = 6,
  kUdp = 17,
  kIcmpv6 = 58,
  kSctp = 132,
};

enum TcpFlags : uint8_t {
  kFin = 0x01,
  kSyn = 0x02,
  kRst = 0x04,
  kPsh = 0x08,
  kAck = 0x10,
};

struct Packet {
  int64_t timestamp_us = 0;
  IpAddress src, dst;
  uint8_t protocol = 0;  // IpProtocol
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;  // TCP
  uint8_t tcp_flags = 0;
  Bytes l4;       // the L4 header and payload (ICMP, SCTP parse this)
  Bytes payload;  // TCP/UDP payload (trimmed to the IP/UDP lengths)
  uint32_t wire_length = 0;
  uint16_t ip_id = 0;  // IPv4's identification (0 for IPv6): one datagram seen twice keeps it
  // The stream id a flow beginning with this packet takes: the frame's number
  // in its pipeline, so ids do not depend on how flows are spread over threads.
  uint64_t new_stream_id = 0;
};

}  // namespace trawl
