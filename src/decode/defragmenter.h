// IPv4 and IPv6 fragment reassembly with bounded memory.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "base/counters.h"
#include "decode/packet.h"

namespace trawl {

struct DefragLimits {
  size_t max_datagrams = 4096;      // datagrams being reassembled at once
  size_t max_bytes = 16 << 20;      // bytes buffered across them
  int64_t timeout_us = 30'000'000;  // a datagram incomplete this long is dropped
};

#define TRAWL_DEFRAG_COUNTERS(X)                                                           \
  X(fragments, "reassembly", "fragments_added", "", "IP fragments the defragmenter took.") \
  X(reassembled, "reassembly", "fragments_reassembled", "", "IP datagrams made whole.")    \
  X(timed_out, "loss", "fragments_timed_out", "trawl_fragments_timed_out_total",           \
    "IP datagrams dropped incomplete.")                                                    \
  X(cap_dropped, "loss", "fragments_dropped_cap", "trawl_fragments_dropped_total",         \
    "IP fragments dropped by a limit.")                                                    \
  X(malformed, "loss", "fragments_malformed", "trawl_fragments_malformed_total",           \
    "IP fragments overlapping with different bytes, or too long.")

struct DefragCounters {
  TRAWL_DEFRAG_COUNTERS(TRAWL_COUNTER_MEMBER)
};
TRAWL_COUNTER_FIELDS(DefragCounters, TRAWL_DEFRAG_COUNTERS)

class Defragmenter {
 public:
  explicit Defragmenter(DefragLimits limits = {}) : limits_(limits) {}

  // Adds one fragment (the bytes after the IP header and its fragment header).
  // Returns the whole L4 datagram once every piece is there, else an empty span.
  // The returned span stays valid until the next call.
  Bytes add(const IpAddress& src, const IpAddress& dst, uint32_t id, uint8_t protocol,
            uint32_t offset, bool more, Bytes data, int64_t now_us);

  const DefragCounters& counters() const { return counters_; }

 private:
  struct Key {
    IpAddress src, dst;
    uint32_t id;
    uint8_t protocol;
    auto operator<=>(const Key&) const = default;
  };
  struct Datagram {
    std::vector<uint8_t> bytes;
    std::vector<bool> have;
    size_t total = 0;  // known once the last fragment arrived
    int64_t first_seen_us = 0;
  };

  void expire(int64_t now_us);

  DefragLimits limits_;
  DefragCounters counters_;
  std::map<Key, Datagram> pending_;
  size_t buffered_ = 0;
  std::vector<uint8_t> assembled_;
};

}  // namespace trawl
