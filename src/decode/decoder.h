// Link layer -> IP (with defragmentation) -> L4 header, yielding a Packet view.
#pragma once

#include <cstdint>
#include <string>

#include "capture/pcap_source.h"
#include "decode/defragmenter.h"
#include "decode/packet.h"

namespace trawl {

struct DecodeCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t decoded = 0;    // packets handed to the flow stage
  uint64_t not_ip = 0;     // ARP, LLDP and other non-IP frames
  uint64_t malformed = 0;  // truncated or inconsistent headers
  uint64_t other_l4 = 0;   // IP protocols trawl does not follow (ESP, GRE, ...)
  uint64_t fragments_pending = 0;
  uint64_t unsupported_link = 0;  // frames of interfaces with an unsupported link type
};

enum class DecodeResult { kPacket, kSkipped };

class Decoder {
 public:
  Decoder() = default;

  // Throws std::invalid_argument naming the link type when it is not supported.
  static void check_link_type(int link_type);

  static bool supports(int link_type);

  DecodeResult decode(const Frame& frame, Packet& out);

  const DecodeCounters& counters() const { return counters_; }
  const DefragCounters& defrag_counters() const { return defrag_.counters(); }

 private:
  DecodeResult link(int link_type, Bytes data, Packet& out);
  DecodeResult ethertype(uint16_t type, Bytes data, Packet& out);
  DecodeResult ip(Bytes data, Packet& out);
  DecodeResult ipv4(Bytes data, Packet& out);
  DecodeResult ipv6(Bytes data, Packet& out);
  DecodeResult transport(uint8_t protocol, Bytes data, Packet& out);
  DecodeResult malformed() {
    ++counters_.malformed;
    return DecodeResult::kSkipped;
  }

  DecodeCounters counters_;
  Defragmenter defrag_;
};

}  // namespace trawl
