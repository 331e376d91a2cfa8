// One connection's dissection, whatever delivers its bytes: TCP reassembly,
// SCTP user data, UDP datagrams, or a byte-stream source (eBPF TLS plaintext).
// It chooses the protocol from the first bytes each direction sends (the
// registry's probes, holding bytes they cannot decide on yet), then owns that
// protocol's dissector and feeds it data, gaps and the close. It knows no
// packets and no protocol by name.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/memory_budget.h"
#include "dissect/dissector.h"

namespace trawl {

class StreamSession : private ProtocolSwitch {
 public:
  // `flow` must outlive the session (the dissector keeps a reference to it).
  // `probe_attempts`: chunks per direction offered to the probes before the
  // connection is taken as one no protocol here speaks.
  StreamSession(const FlowContext& flow, Transport transport, EntrySink& sink,
                DissectCounters& counters, const DissectorSettings& settings,
                size_t probe_attempts);
  // A session whose protocol is known beforehand (a dissector's tests and fuzz
  // targets): no detection.
  StreamSession(const FlowContext& flow, Transport transport, EntrySink& sink,
                DissectCounters& counters, const DissectorSettings& settings,
                const ProtocolInfo& protocol);
  StreamSession(const StreamSession&) = delete;  // dissectors keep a pointer to it
  StreamSession& operator=(const StreamSession&) = delete;

  void on_data(Direction dir, Bytes bytes, int64_t ts);
  void on_gap(Direction dir, uint64_t length, int64_t ts);
  // The connection ended: bytes still undecided get one last, final attempt
  // (a short conversation may end before its probes saw enough), then the
  // dissector emits what it holds.
  void on_close(int64_t ts);

  // The protocol chosen (entry.md name), the first of a connection that
  // switched; empty while undecided or when none is.
  std::string_view protocol() const { return protocol_; }

 private:
  struct Held {  // a direction's first bytes while no probe can decide on them
    std::vector<uint8_t> bytes;
    BudgetShare share;  // their memory
    int64_t since_us = 0;
    uint8_t tries = 0;
  };

  void detect(Direction dir, Bytes bytes, int64_t ts);
  void keep_undecided(Held& held, Bytes bytes, int64_t ts, bool maybe, size_t candidate_size);
  void start(const ProtocolInfo& p, Direction dir, Bytes first, int64_t first_us);
  void switch_to(std::unique_ptr<StreamDissector> next) override;
  void forward(Direction dir, Bytes rest, int64_t ts) override;

  DissectorEnv env_;
  Transport transport_;
  size_t probe_attempts_;
  std::unique_ptr<StreamDissector> dissector_;
  // Dissectors that handed the connection over: they get the close, in order.
  std::vector<std::unique_ptr<StreamDissector>> handed_over_;
  std::string_view protocol_;
  std::array<Held, 2> held_;
  bool undetected_ = false;  // every direction's attempts are spent
};

}  // namespace trawl
