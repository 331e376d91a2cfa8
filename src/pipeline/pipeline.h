// capture -> decode -> flows/ICMP -> dissect -> entries -> sink, for one input.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "capture/pcap_source.h"
#include "decode/decoder.h"
#include "dissect/dissector.h"
#include "entries/entry.h"
#include "flows/flow_table.h"
#include "protocols/icmp/icmp.h"

namespace trawl {

struct PipelineSettings {
  DissectorSettings dissect;
  FlowLimits flows;
};

class Pipeline : public EntrySink {
 public:
  explicit Pipeline(EntrySink& out, const PipelineSettings& settings = {});

  void add(const Frame& frame);
  // End of input: every flow and pending exchange is closed and emitted.
  void finish();

  // Numbered entries go to the output sink.
  void emit(Entry&& entry) override;

  // Time passes without packets (live capture): idle flows are closed.
  void tick(int64_t now_us);

  // Every counter, loss included, grouped: capture, flows, entries, loss, reassembly.
  Json stats() const;
  void print_stats(std::ostream& os) const;
  uint64_t entries() const { return entries_; }

 private:
  PipelineSettings settings_;
  EntrySink& out_;
  Decoder decoder_;
  DissectCounters dissect_counters_;
  FlowTable flows_;
  IcmpTracker icmp_;
  Packet packet_;
  uint64_t entries_ = 0;
  std::map<std::string, uint64_t> entries_by_protocol_;
  std::map<std::string, uint64_t> entry_errors_;
};

}  // namespace trawl
