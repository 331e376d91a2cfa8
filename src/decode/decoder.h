// Link layer -> IP (with defragmentation) -> L4 header, yielding a Packet view.
#pragma once

#include <cstdint>
#include <string>

#include "base/counters.h"
#include "capture/frame.h"
#include "decode/defragmenter.h"
#include "decode/packet.h"

namespace trawl {

#define TRAWL_DECODE_COUNTERS(X)                                                                \
  X(frames, "capture", "packets", "trawl_packets_total", "Packets captured.")                   \
  X(bytes, "capture", "bytes", "trawl_captured_bytes_total", "Bytes of the packets captured.")  \
  X(decoded, "capture", "decoded", "", "Packets handed to the flow stage.")                     \
  X(not_ip, "capture", "not_ip", "", "ARP, LLDP and other non-IP frames.")                      \
  X(other_l4, "capture", "other_l4", "", "IP protocols trawl does not follow (ESP, GRE, ...).") \
  X(unsupported_link, "capture", "unsupported_link", "trawl_unsupported_link_frames_total",     \
    "Frames of interfaces with an unsupported link type.")                                      \
  X(fragments_pending, "capture", "fragments", "", "IP fragments handed to reassembly.")        \
  X(malformed, "loss", "malformed_packets", "trawl_malformed_packets_total",                    \
    "Packets with truncated or inconsistent headers.")

struct DecodeCounters {
  TRAWL_DECODE_COUNTERS(TRAWL_COUNTER_MEMBER)
};
TRAWL_COUNTER_FIELDS(DecodeCounters, TRAWL_DECODE_COUNTERS)

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
