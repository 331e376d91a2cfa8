// capture -> decode -> flows/ICMP -> dissect -> entries -> sink, for one input.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "capture/frame.h"
#include "decode/decoder.h"
#include "dissect/dissector.h"
#include "entries/entry.h"
#include "flows/byte_streams.h"
#include "flows/flow_table.h"
#include "pipeline/flow_sharder.h"
#include "protocols/icmp/icmp.h"
#include "stages/stage.h"

namespace trawl {

// Bounds over every pipeline that shares them (a worker's capture threads):
// what hostile traffic can make them hold, together.
// Each of the counters at its section and key of `stats` (/api/stats).
template <typename Counters>
void put_counters(Json& stats, const Counters& c) {
  for (const CounterField<Counters>& f : counter_fields(&c)) {
    Json& section = stats[f.section];
    if (section.is_null()) section = Json::object();
    section.set(std::string(f.key), c.*f.member);
  }
}

struct SharedLimits {
  SharedLimits(uint64_t dissect_bytes, size_t max_flows, uint64_t reassembly_bytes)
      : dissect(dissect_bytes), flows(max_flows), reassembly(reassembly_bytes) {}
  MemoryBudget dissect;     // held by dissectors (DissectorSettings::memory)
  FlowBudget flows;         // flows tracked
  MemoryBudget reassembly;  // TCP bytes buffered ahead of holes
};

struct PipelineSettings {
  DissectorSettings dissect;
  FlowLimits flows;
  uint64_t memory_bytes = 64 << 20;  // the dissectors' budget, when none is shared
  std::vector<StageSpec> stages;     // run in order on every entry before its id
  // With Kubernetes names: every pipeline of a read or a worker shares it, so a
  // Service call seen before and after its DNAT is one set of entries.
  std::shared_ptr<NatTwins> nat_twins;
  ByteStreamSettings byte_streams;  // connections of a byte-stream source
  // Shared with other pipelines; a pipeline makes its own (from the settings
  // above) when none is given. Its pointers in `dissect` and `flows` are set
  // from it.
  SharedLimits* shared = nullptr;
};

class Pipeline : public EntrySink {
 public:
  explicit Pipeline(EntrySink& out, const PipelineSettings& settings = {});

  void add(const Frame& frame);
  // End of input: every flow and pending exchange is closed and emitted.
  void finish();

  // Stream ids are frame numbers: frame k (from 1) of this pipeline gives
  // k * step + offset, so pipelines of one capture with distinct offsets below
  // `step` never share an id.
  void number_streams(uint64_t step, uint64_t offset) {
    stream_step_ = step;
    stream_offset_ = offset;
  }
  // Dissect only the flows `sharder` gives to `shard`; the other packets only
  // pass time. Every shard's pipeline must see every frame.
  void only_shard(FlowSharder* sharder, uint32_t shard) {
    sharder_ = sharder;
    shard_ = shard;
  }
  // Frames given to add() so far: the frame an entry completed on, while it is emitted.
  uint64_t frames() const { return frames_; }
  bool finishing() const { return finishing_; }
  // Flows are being ended by time or at the end of input, in stream id order.
  bool ending_flows() const { return flows_.ending_in_stream_order(); }

  // The connections of a byte-stream source (eBPF TLS plaintext): their
  // entries take the same stages and numbering as those of packets.
  ByteStreams& byte_streams() { return byte_streams_; }

  // Entries the stages keep are numbered and go to the output sink.
  void emit(Entry&& entry) override;

  // Time passes without packets (live capture): idle flows are closed.
  void tick(int64_t now_us);

  // Every counter, loss included, grouped: capture, flows, entries, loss, reassembly.
  Json stats() const;
  // The counters of stats() that /metrics shows, with their Prometheus names.
  static std::vector<CounterMetric> counter_metrics();
  // stats() as `trawl read --stats` prints them.
  static void print_stats(const Json& stats, std::ostream& os);
  // Adds every counter of `from`, another pipeline's stats(), into `into` (null
  // to begin). A key only `from` has (a protocol, an error kind) goes in name
  // order, as one pipeline lists them.
  static void add_stats(Json& into, const Json& from);
  uint64_t entries() const { return entries_; }
  // The budgets as stats: {"memory": {...}, "flows_tracked": n} (a worker
  // reports its shared ones once, not per thread).
  static Json limits_stats(const SharedLimits& limits);

 private:
  std::unique_ptr<SharedLimits> own_limits_;
  PipelineSettings settings_;
  EntrySink& out_;
  Decoder decoder_;
  DissectCounters dissect_counters_;
  FlowTable flows_;
  IcmpTracker icmp_;
  ByteStreams byte_streams_;
  Packet packet_;
  uint64_t frames_ = 0, stream_step_ = 1, stream_offset_ = 0;
  StageList stages_;
  FlowSharder* sharder_ = nullptr;
  uint32_t shard_ = 0;
  bool finishing_ = false;
  uint64_t entries_ = 0;
  std::array<uint64_t, kProtocolCount> entries_by_known_protocol_{};  // by protocol_index()
  std::map<std::string, uint64_t> entries_by_protocol_;               // others
  std::map<std::string, uint64_t> entry_errors_;
};

}  // namespace trawl
