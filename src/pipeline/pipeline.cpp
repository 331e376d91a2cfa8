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
  s.flows.nat_twins = s.nat_twins.get();
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
      byte_streams_(*this, dissect_counters_, settings_.dissect, settings_.byte_streams),
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
  byte_streams_.finish();
}

void Pipeline::emit(Entry&& entry) {
  if (!stages_.run(entry)) return;
  entry.id = ++entries_;
  int known = protocol_index(entry.protocol);
  if (known >= 0)
    ++entries_by_known_protocol_[size_t(known)];
  else
    ++entries_by_protocol_[entry.protocol];
  if (!entry.error.empty()) {
    std::string kind = entry.error.substr(0, entry.error.find(':'));
    ++entry_errors_[kind];
  }
  out_.emit(std::move(entry));
  give_back_entry_texts(entry);
}

void Pipeline::tick(int64_t now_us) {
  flows_.expire(now_us);
}

Json Pipeline::stats() const {
  Json all = Json::object();
  // The sections in the order people read them.
  for (const char* section : {"capture", "flows", "entries", "loss", "reassembly"})
    all.set(section, Json::object());
  put_counters(all, decoder_.counters());
  put_counters(all, decoder_.defrag_counters());
  put_counters(all, flows_.counters());
  put_counters(all, flows_.counters().reassembly);
  put_counters(all, dissect_counters_);
  Json& entries = all["entries"];
  entries.set("total", entries_);
  Json by_protocol = Json::object(), errors = Json::object();
  std::map<std::string, uint64_t> counts = entries_by_protocol_;
  for (size_t i = 0; i < kProtocolCount; ++i)
    if (entries_by_known_protocol_[i])
      counts[std::string(protocol_name(i))] = entries_by_known_protocol_[i];
  for (const auto& [name, n] : counts) by_protocol.set(name, n);
  for (const auto& [kind, n] : entry_errors_) errors.set(kind, n);
  entries.set("by_protocol", std::move(by_protocol));
  entries.set("errors", std::move(errors));
  stages_.add_stats(entries);
  return all;
}

std::vector<CounterMetric> Pipeline::counter_metrics() {
  std::vector<CounterMetric> out;
  add_counter_metrics<DecodeCounters>(out);
  add_counter_metrics<DefragCounters>(out);
  add_counter_metrics<FlowCounters>(out);
  add_counter_metrics<ReassemblyCounters>(out);
  add_counter_metrics<DissectCounters>(out);
  return out;
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
