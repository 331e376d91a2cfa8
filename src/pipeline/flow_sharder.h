// Spreads flows over several pipelines that each read every packet: the same
// packets in the same order give every pipeline the same answer, so they agree
// without talking. Flows go round-robin in the order they first appear (a
// capture of a few long connections still splits evenly, in time as well).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "decode/packet.h"

namespace trawl {

class FlowSharder {
 public:
  // `forget_after_us`: a flow idle this long may be assigned afresh (it has
  // ended in its pipeline too), which keeps the table bounded.
  FlowSharder(uint32_t shards, int64_t forget_after_us);
  uint32_t shards() const { return shards_; }
  // The pipeline (0 .. shards-1) that dissects this packet's flow; ICMP goes to 0.
  uint32_t shard_of(const Packet& p);

 private:
  struct Slot {
    uint32_t shard;
    int64_t last_us;
  };
  void forget_idle(int64_t now);

  uint32_t shards_;
  int64_t forget_after_us_;
  uint32_t next_ = 0;
  size_t forget_at_size_ = 1 << 16;
  // Keyed by a hash of both endpoints: two flows that collide share a shard,
  // which costs balance, never correctness.
  std::unordered_map<uint64_t, Slot> slots_;
};

}  // namespace trawl
