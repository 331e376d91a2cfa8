#include "pipeline/pipeline.h"

#include <algorithm>

namespace trawl {

namespace {

PipelineSettings bound(PipelineSettings s, SharedLimits* own) {
  SharedLimits* limits = s.shared ? s.shared : own;
  s.shared = limits;
  s.dissect.memory = &limits->dissect;
  s.flows.flows = &limits->flows;
  s.flows.reassembly_memory = &limits->reassembly;
  return s;
}

}  // namespace

Pipeline::Pipeline(EntrySink& out, const PipelineSettings& settings)
    : own_limits_(settings.shared ? nullptr
                                  : std::make_unique<SharedLimits>(
                                        settings.memory_bytes, settings.flows.max_flows,
                                        settings.flows.reassembly.max_bytes)),
      settings_(bound(settings, own_limits_.get())),
      out_(out),
      flows_(*this, dissect_counters_, settings_.dissect, settings_.flows),
      icmp_(*this, dissect_counters_),
      stages_(settings_.stages) {}

void Pipeline::add(const Frame& frame) {
  ++frames_;
  if (decoder_.decode(frame, packet_) != DecodeResult::kPacket) return;
  if (sharder_ && sharder_->shard_of(packet_) != shard_) {
    flows_.pass_time(packet_.timestamp_us);
    return;
  }
  packet_.new_stream_id = frames_ * stream_step_ + stream_offset_;
  if (packet_.protocol == kIcmp || packet_.protocol == kIcmpv6) {
    icmp_.add(packet_);
  } else {
    flows_.add(packet_);
  }
}

void Pipeline::finish() {
  finishing_ = true;
  flows_.finish();
  icmp_.finish();
}

void Pipeline::emit(Entry&& entry) {
  if (!stages_.run(entry)) return;
  entry.id = ++entries_;
  ++entries_by_protocol_[entry.protocol];
  if (!entry.error.empty()) {
    std::string kind = entry.error.substr(0, entry.error.find(':'));
    ++entry_errors_[kind];
  }
  out_.emit(std::move(entry));
}

void Pipeline::tick(int64_t now_us) {
  flows_.expire(now_us);
}

Json Pipeline::stats() const {
  const DecodeCounters& d = decoder_.counters();
  const DefragCounters& f = decoder_.defrag_counters();
  const FlowCounters& fl = flows_.counters();
  const ReassemblyCounters& r = fl.reassembly;
  const DissectCounters& x = dissect_counters_;
  Json capture = Json::object();
  capture.set("packets", d.frames);
  capture.set("bytes", d.bytes);
  capture.set("decoded", d.decoded);
  capture.set("not_ip", d.not_ip);
  capture.set("other_l4", d.other_l4);
  capture.set("unsupported_link", d.unsupported_link);
  Json flows = Json::object();
  flows.set("tcp", fl.tcp_flows);
  flows.set("udp", fl.udp_flows);
  flows.set("sctp", fl.sctp_flows);
  flows.set("timed_out", fl.timed_out);
  flows.set("undetected_l7", fl.undetected_flows);
  Json entries = Json::object();
  entries.set("total", entries_);
  Json by_protocol = Json::object(), errors = Json::object();
  for (const auto& [name, n] : entries_by_protocol_) by_protocol.set(name, n);
  for (const auto& [kind, n] : entry_errors_) errors.set(kind, n);
  entries.set("by_protocol", std::move(by_protocol));
  entries.set("errors", std::move(errors));
  stages_.add_stats(entries);
  Json loss = Json::object();
  loss.set("malformed_packets", d.malformed);
  loss.set("fragments_timed_out", f.timed_out);
  loss.set("fragments_dropped_cap", f.cap_dropped);
  loss.set("fragments_malformed", f.malformed);
  loss.set("tcp_gaps", r.gaps);
  loss.set("tcp_gap_bytes", r.gap_bytes);
  loss.set("tcp_connection_cap_hits", r.connection_cap_hits);
  loss.set("tcp_global_cap_drops", r.global_cap_drops);
  loss.set("tcp_global_cap_dropped_bytes", r.global_cap_dropped_bytes);
  loss.set("flows_evicted_by_cap", fl.flows_evicted_by_cap);
  loss.set("sctp_malformed_chunks", fl.sctp_malformed_chunks);
  loss.set("malformed_messages", x.malformed);
  loss.set("resyncs", x.resyncs);
  loss.set("gap_entries", x.gap_entries);
  loss.set("unpaired", x.unpaired);
  loss.set("messages_truncated", x.messages_truncated);
  loss.set("bodies_truncated", x.body_truncated);
  loss.set("memory_budget_drops", x.budget_drops);
  loss.set("pipeline_evictions", x.pipeline_evictions);
  Json reassembly = Json::object();
  reassembly.set("segments", r.segments);
  reassembly.set("out_of_order", r.out_of_order);
  reassembly.set("retransmitted", r.retransmitted);
  reassembly.set("overlaps", r.overlaps);
  reassembly.set("fragments_reassembled", f.reassembled);
  Json all = Json::object();
  all.set("capture", std::move(capture));
  all.set("flows", std::move(flows));
  all.set("entries", std::move(entries));
  all.set("loss", std::move(loss));
  all.set("reassembly", std::move(reassembly));
  return all;
}

Json Pipeline::limits_stats(const SharedLimits& limits) {
  Json memory = Json::object();
  memory.set("limit", limits.dissect.limit());
  memory.set("used", limits.dissect.used());
  memory.set("peak", limits.dissect.peak());
  memory.set("refusals", limits.dissect.refusals());
  memory.set("reassembly_limit", limits.reassembly.limit());
  memory.set("reassembly_used", limits.reassembly.used());
  memory.set("flows", uint64_t(limits.flows.count.load()));
  memory.set("max_flows", uint64_t(limits.flows.max));
  return memory;
}

void Pipeline::add_stats(Json& into, const Json& from) {
  if (into.is_null()) {
    into = from;
    return;
  }
  if (!into.is_object() || !from.is_object()) return;
  auto& fields = into.fields_mut();
  for (const auto& field : from.fields()) {
    const std::string& key = field.first;
    const Json& value = field.second;
    auto at =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
    if (at == fields.end()) {
      at = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first > key; });
      fields.insert(at, field);
    } else if (value.is_int() && at->second.is_int()) {
      at->second = at->second.integer() + value.integer();
    } else if (value.is_object()) {
      add_stats(at->second, value);
    }
  }
}

void Pipeline::print_stats(const Json& all, std::ostream& os) {
  for (const auto& [group, fields] : all.fields()) {
    os << group << ":\n";
    for (const auto& [name, value] : fields.fields()) {
      if (name == "by_protocol") {
        for (const auto& [proto, n] : value.fields())
          os << "  " << proto << ": " << n.integer() << "\n";
      } else if (name == "errors") {
        for (const auto& [kind, n] : value.fields())
          os << "  error \"" << kind << "\": " << n.integer() << "\n";
      } else {
        os << "  " << name << ": " << value.integer() << "\n";
      }
    }
  }
}

}  // namespace trawl
