#include "pipeline/pipeline.h"

namespace trawl {

Pipeline::Pipeline(EntrySink& out, const PipelineSettings& settings)
    : settings_(settings),
      out_(out),
      flows_(*this, dissect_counters_, settings_.dissect, settings_.flows),
      icmp_(*this, dissect_counters_) {}

void Pipeline::add(const Frame& frame) {
  if (decoder_.decode(frame, packet_) != DecodeResult::kPacket) return;
  if (packet_.protocol == kIcmp || packet_.protocol == kIcmpv6) {
    icmp_.add(packet_);
  } else {
    flows_.add(packet_);
  }
}

void Pipeline::finish() {
  flows_.finish();
  icmp_.finish();
}

void Pipeline::emit(Entry&& entry) {
  entry.id = ++entries_;
  ++entries_by_protocol_[entry.protocol];
  if (!entry.error.empty()) {
    std::string kind = entry.error.substr(0, entry.error.find(':'));
    ++entry_errors_[kind];
  }
  out_.emit(std::move(entry));
}

void Pipeline::print_stats(std::ostream& os) const {
  const DecodeCounters& d = decoder_.counters();
  const DefragCounters& f = decoder_.defrag_counters();
  const FlowCounters& fl = flows_.counters();
  const ReassemblyCounters& r = fl.reassembly;
  const DissectCounters& x = dissect_counters_;
  auto line = [&os](const char* name, uint64_t value) {
    os << "  " << name << ": " << value << "\n";
  };
  os << "capture:\n";
  line("packets", d.frames);
  line("bytes", d.bytes);
  line("decoded", d.decoded);
  line("not_ip", d.not_ip);
  line("other_l4", d.other_l4);
  line("unsupported_link", d.unsupported_link);
  os << "flows:\n";
  line("tcp", fl.tcp_flows);
  line("udp", fl.udp_flows);
  line("sctp", fl.sctp_flows);
  line("timed_out", fl.timed_out);
  line("undetected_l7", fl.undetected_flows);
  os << "entries:\n";
  line("total", entries_);
  for (const auto& [name, n] : entries_by_protocol_) line(name.c_str(), n);
  for (const auto& [kind, n] : entry_errors_) os << "  error \"" << kind << "\": " << n << "\n";
  os << "loss:\n";
  line("malformed_packets", d.malformed);
  line("fragments_timed_out", f.timed_out);
  line("fragments_dropped_cap", f.cap_dropped);
  line("fragments_malformed", f.malformed);
  line("tcp_gaps", r.gaps);
  line("tcp_gap_bytes", r.gap_bytes);
  line("tcp_connection_cap_hits", r.connection_cap_hits);
  line("tcp_global_cap_drops", r.global_cap_drops);
  line("tcp_global_cap_dropped_bytes", r.global_cap_dropped_bytes);
  line("flows_evicted_by_cap", fl.flows_evicted_by_cap);
  line("sctp_malformed_chunks", fl.sctp_malformed_chunks);
  line("malformed_messages", x.malformed);
  line("resyncs", x.resyncs);
  line("gap_entries", x.gap_entries);
  line("unpaired", x.unpaired);
  line("messages_truncated", x.messages_truncated);
  line("bodies_truncated", x.body_truncated);
  os << "reassembly:\n";
  line("segments", r.segments);
  line("out_of_order", r.out_of_order);
  line("retransmitted", r.retransmitted);
  line("overlaps", r.overlaps);
  line("fragments_reassembled", f.reassembled);
}

}  // namespace trawl
