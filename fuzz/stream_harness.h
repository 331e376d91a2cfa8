// Feeds a stream dissector from fuzzer input: records of
// [control][length: 2 bytes][data], where control bit 0 is the direction,
// bit 1 makes the record a gap of `length` bytes, and bit 2 closes the flow.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dissect/dissector.h"
#include "dissect/stream_session.h"
#include "entries/json_parse.h"

namespace trawl::fuzz {

class NullSink : public EntrySink {
 public:
  // Every entry must serialise to valid JSON: dissectors write some fields as
  // JSON text themselves (Json::raw), so a rendering bug would show here.
  void emit(Entry&& e) override {
    std::string out;
    write_entry_json(out, e);
    Json parsed;
    if (!parse_json(out, parsed)) __builtin_trap();
  }
};

inline void run_stream(const ProtocolInfo& protocol, const uint8_t* data, size_t size,
                       bool datagrams) {
  FlowContext flow;
  flow.stream = "1";
  flow.layer4 = datagrams ? "udp" : "tcp";
  flow.datagrams = datagrams;
  flow.a = {"10.0.0.1", 40000};
  flow.b = {"10.0.0.2", 80};
  NullSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  settings.max_body = 256;  // small caps reach the capping code paths
  // Through a session, as in a capture: upgrades are handed over.
  StreamSession session(flow, datagrams ? kOverUdp : kOverTcp, sink, counters, settings, protocol);
  StreamSession* d = &session;
  int64_t ts = 0;
  size_t pos = 0;
  while (pos + 3 <= size) {
    uint8_t control = data[pos];
    size_t len = size_t(data[pos + 1]) << 8 | data[pos + 2];
    pos += 3;
    Direction dir = (control & 1) ? Direction::kBtoA : Direction::kAtoB;
    ts += 10;
    if (control & 4) break;
    if (control & 2) {
      d->on_gap(dir, len, ts);
      continue;
    }
    len = std::min(len, size - pos);
    d->on_data(dir, Bytes(data + pos, len), ts);
    pos += len;
  }
  d->on_close(ts + 1);
  protocol.probe(Bytes(data, size), Direction::kAtoB);
}

}  // namespace trawl::fuzz
