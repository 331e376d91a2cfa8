// ICMP/ICMPv6 messages, echo pairing and quoted packets: records of
// [family+direction][length][message].
#include "fuzz/stream_harness.h"
#include "protocols/icmp/icmp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::NullSink sink;
  trawl::DissectCounters counters;
  trawl::IcmpTracker icmp(sink, counters);
  trawl::Packet p;
  size_t pos = 0;
  int64_t ts = 0;
  while (pos + 2 <= size) {
    uint8_t control = data[pos];
    size_t len = std::min<size_t>(data[pos + 1], size - pos - 2);
    bool v6 = control & 1, reverse = control & 2;
    p.protocol = v6 ? trawl::kIcmpv6 : trawl::kIcmp;
    p.src = trawl::IpAddress{};
    p.dst = trawl::IpAddress{};
    p.src.v6 = p.dst.v6 = v6;
    p.src.bytes[3] = reverse ? 2 : 1;
    p.dst.bytes[3] = reverse ? 1 : 2;
    ts += (control & 4) ? 40'000'000 : 100;
    p.timestamp_us = ts;
    p.l4 = trawl::Bytes(data + pos + 2, len);
    pos += 2 + len;
    if (p.l4.size() < 4) continue;  // the decoder guarantees the ICMP header
    icmp.add(p);
  }
  icmp.finish();
  return 0;
}
