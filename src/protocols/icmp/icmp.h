// ICMP and ICMPv6: echo requests paired with replies (round-trip time), errors
// with the 5-tuple of the packet they quote, other messages as single entries.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <tuple>

#include "decode/packet.h"
#include "dissect/dissector.h"

namespace trawl {

class IcmpTracker {
 public:
  IcmpTracker(EntrySink& sink, DissectCounters& counters) : sink_(sink), counters_(counters) {}

  void add(const Packet& p);
  // End of input: unanswered echo requests are emitted.
  void finish();

  static constexpr int64_t kEchoTimeoutUs = 30'000'000;

 private:
  struct EchoKey {
    IpAddress requester, responder;
    uint16_t id, seq;
    auto operator<=>(const EchoKey&) const = default;
  };
  struct PendingEcho {
    Entry entry;
    uint64_t generation;
  };

  void expire(int64_t now);

  EntrySink& sink_;
  DissectCounters& counters_;
  std::map<EchoKey, PendingEcho> pending_;
  std::deque<std::tuple<int64_t, EchoKey, uint64_t>> by_time_;  // for timeouts
  uint64_t generation_ = 0;
};

}  // namespace trawl
