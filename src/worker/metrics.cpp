#include "worker/metrics.h"

#include <algorithm>

namespace trawl {

void EntryMetrics::record(const Entry& e) {
  std::lock_guard lock(mutex_);
  auto it = by_protocol_.find(e.protocol);
  if (it == by_protocol_.end()) it = by_protocol_.emplace(e.protocol, Protocol{}).first;
  Protocol& p = it->second;
  ++p.entries;
  p.errors += !e.error.empty();
  p.request_bytes += e.request_size;
  p.response_bytes += e.response_size;
  if (e.response && e.elapsed_ms >= 0) {  // only answered requests have a latency
    size_t b =
        size_t(std::lower_bound(kBuckets.begin(), kBuckets.end(), e.elapsed_ms) - kBuckets.begin());
    if (b < kBuckets.size()) ++p.buckets[b];
    ++p.latency_count;
    p.latency_sum += e.elapsed_ms;
  }
}

void EntryMetrics::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  auto counter = [&](const char* name, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    for (const auto& [proto, p] : by_protocol_)
      out += std::string(name) + "{protocol=\"" + proto + "\"} " + std::to_string(value(p)) + "\n";
  };
  counter("trawl_entries_total", "Entries stored, by protocol.",
          [](const Protocol& p) { return p.entries; });
  counter("trawl_entry_errors_total", "Entries with an error field, by protocol.",
          [](const Protocol& p) { return p.errors; });
  counter("trawl_request_bytes_total", "Request bytes of stored entries, by protocol.",
          [](const Protocol& p) { return p.request_bytes; });
  counter("trawl_response_bytes_total", "Response bytes of stored entries, by protocol.",
          [](const Protocol& p) { return p.response_bytes; });
  out +=
      "# HELP trawl_latency_milliseconds Time from request to response, by protocol.\n"
      "# TYPE trawl_latency_milliseconds histogram\n";
  for (const auto& [proto, p] : by_protocol_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += p.buckets[i];
      char le[32];
      std::snprintf(le, sizeof le, "%g", kBuckets[i]);
      out += "trawl_latency_milliseconds_bucket{protocol=\"" + proto + "\",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "trawl_latency_milliseconds_bucket{protocol=\"" + proto + "\",le=\"+Inf\"} " +
           std::to_string(p.latency_count) + "\n";
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.6f", p.latency_sum);
    out += "trawl_latency_milliseconds_sum{protocol=\"" + proto + "\"} " + sum + "\n";
    out += "trawl_latency_milliseconds_count{protocol=\"" + proto + "\"} " +
           std::to_string(p.latency_count) + "\n";
  }
}

}  // namespace trawl
