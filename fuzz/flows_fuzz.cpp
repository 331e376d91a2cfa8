// TCP reassembly and the flow table: each record is one TCP segment between
// two fixed endpoints: [flags][seq offset: 2][ack offset: 2][length][payload].
// Sequence numbers are small offsets from fixed ISNs so that records overlap,
// reorder, repeat and leave holes.
#include "flows/flow_table.h"
#include "fuzz/stream_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::NullSink sink;
  trawl::DissectCounters counters;
  trawl::DissectorSettings settings;
  trawl::FlowLimits limits;
  limits.reassembly.per_connection = 2048;
  limits.reassembly.max_bytes = 8192;
  trawl::FlowTable table(sink, counters, settings, limits);
  trawl::Packet p;
  p.protocol = trawl::kTcp;
  size_t pos = 0;
  int64_t ts = 0;
  while (pos + 6 <= size) {
    uint8_t flags = data[pos];
    uint32_t seq = uint32_t(data[pos + 1]) << 8 | data[pos + 2];
    uint32_t ack = uint32_t(data[pos + 3]) << 8 | data[pos + 4];
    size_t len = std::min<size_t>(data[pos + 5], size - pos - 6);
    bool from_b = flags & 0x80;
    p.src = trawl::IpAddress{};
    p.dst = trawl::IpAddress{};
    p.src.bytes[3] = from_b ? 2 : 1;
    p.dst.bytes[3] = from_b ? 1 : 2;
    p.src_port = from_b ? 80 : 40000;
    p.dst_port = from_b ? 40000 : 80;
    p.seq = (from_b ? 0x70000000u : 0xFFFFF000u) + seq;  // one direction wraps
    p.ack = (from_b ? 0xFFFFF000u : 0x70000000u) + ack;
    p.tcp_flags = flags & 0x1F;
    p.payload = trawl::Bytes(data + pos + 6, len);
    p.wire_length = uint32_t(54 + len);
    ts += (flags & 0x40) ? 200'000'000 : 1000;  // sometimes jump past the timeouts
    p.timestamp_us = ts;
    table.add(p);
    pos += 6 + len;
  }
  table.finish();
  return 0;
}
