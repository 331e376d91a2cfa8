// Orders the bytes of one TCP direction.
//
// Policy: the first copy of a byte wins. Bytes already delivered are never
// delivered again, and bytes already buffered are not replaced (retransmissions
// and overlaps are trimmed, and counted); an out-of-order segment is buffered
// until the hole before it fills. A hole is
// declared a gap, and skipped, when the peer acknowledges data past it, when
// the connection's buffer cap is reached, or when the connection ends.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "base/bytes.h"
#include "base/counters.h"
#include "base/memory_budget.h"

namespace trawl {

#define TRAWL_REASSEMBLY_COUNTERS(X)                                                               \
  X(segments, "reassembly", "segments", "trawl_tcp_segments_total", "TCP segments with payload.")  \
  X(out_of_order, "reassembly", "out_of_order", "", "TCP segments buffered ahead of a hole.")      \
  X(retransmitted, "reassembly", "retransmitted", "trawl_tcp_retransmitted_total",                 \
    "TCP segments wholly delivered before.")                                                       \
  X(overlaps, "reassembly", "overlaps", "", "TCP segments partly delivered before.")               \
  X(gaps, "loss", "tcp_gaps", "trawl_tcp_gaps_total", "Holes skipped in TCP streams.")             \
  X(gap_bytes, "loss", "tcp_gap_bytes", "trawl_tcp_gap_bytes_total", "Bytes lost in TCP streams.") \
  X(connection_cap_hits, "loss", "tcp_connection_cap_hits", "trawl_tcp_connection_cap_hits_total", \
    "Holes skipped to respect the per-connection reassembly cap.")                                 \
  X(global_cap_drops, "loss", "tcp_global_cap_drops", "trawl_tcp_global_cap_drops_total",          \
    "TCP segments dropped to respect the global reassembly cap.")                                  \
  X(global_cap_dropped_bytes, "loss", "tcp_global_cap_dropped_bytes", "",                          \
    "Bytes of the TCP segments dropped to respect the global reassembly cap.")

struct ReassemblyCounters {
  TRAWL_REASSEMBLY_COUNTERS(TRAWL_COUNTER_MEMBER)
};
TRAWL_COUNTER_FIELDS(ReassemblyCounters, TRAWL_REASSEMBLY_COUNTERS)

// Caps on bytes buffered ahead of holes: over every connection of a process
// (the MemoryBudget all of them share), and per connection.
struct ReassemblyBudget {
  size_t max_bytes = 32 << 20;
  size_t per_connection = 1 << 20;
};

class TcpReassembler {
 public:
  class Receiver {
   public:
    virtual ~Receiver() = default;
    virtual void on_bytes(Bytes data, int64_t timestamp_us) = 0;
    virtual void on_gap(uint64_t length, int64_t timestamp_us) = 0;
  };

  static constexpr size_t kPieceOverhead = 64;  // bytes a buffered piece costs beyond its data

  TcpReassembler() = default;
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;
  ~TcpReassembler();

  // `memory` holds every connection's buffered bytes (max_bytes of them).
  void set_budget(MemoryBudget* memory, const ReassemblyBudget* limits,
                  ReassemblyCounters* counters) {
    memory_ = memory;
    limits_ = limits;
    counters_ = counters;
  }

  // SYN seen: the stream starts at isn + 1.
  void syn(uint32_t isn);
  // A segment's payload. Without a prior SYN the first segment starts the stream.
  // Returns true when every byte of it had been seen before (a retransmission).
  bool segment(uint32_t seq, Bytes payload, int64_t timestamp_us, Receiver& out);
  // The peer acknowledged everything before `ack`: holes before it are lost.
  void acknowledged(uint32_t ack, int64_t timestamp_us, Receiver& out);
  // End of the connection: deliver what is buffered, holes as gaps.
  void flush(int64_t timestamp_us, Receiver& out);

  bool started() const { return started_; }
  // Bytes held for out-of-order data, including per-piece overhead.
  size_t buffered() const { return buffered_; }

 private:
  struct Pending {
    std::vector<uint8_t> bytes;
    int64_t timestamp_us;
  };

  // Stream position of `seq` relative to the next expected byte.
  int64_t position_of(uint32_t seq) const { return next_pos_ + int32_t(seq - next_seq_); }
  void deliver(Bytes data, int64_t timestamp_us, Receiver& out);
  void drain(Receiver& out);
  void skip_to_first_pending(int64_t timestamp_us, Receiver& out);
  void release(size_t n);

  bool started_ = false;
  uint32_t next_seq_ = 0;               // sequence number of the next byte to deliver
  int64_t next_pos_ = 0;                // its position in the stream (unwrapped)
  std::map<int64_t, Pending> pending_;  // by stream position
  size_t buffered_ = 0;
  MemoryBudget* memory_ = nullptr;
  const ReassemblyBudget* limits_ = nullptr;
  ReassemblyCounters* counters_ = nullptr;
};

}  // namespace trawl
