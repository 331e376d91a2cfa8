// Per-protocol counters and latency histograms of stored entries, rendered in
// the Prometheus text exposition format.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "entries/entry.h"
#include "sinks/output.h"

namespace trawl {

class EntryMetrics : public EntryOutput {
 public:
  void write(Entry& e) override { record(e); }
  // Upper bounds of the latency buckets, milliseconds.
  static constexpr std::array<double, 12> kBuckets = {0.5, 1,   2.5, 5,    10,   25,
                                                      50,  100, 250, 1000, 2500, 10000};
  void record(const Entry& e);
  // Appends the metric families (HELP, TYPE and samples).
  void render(std::string& out) const;

 private:
  struct Protocol {
    uint64_t entries = 0, errors = 0, request_bytes = 0, response_bytes = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};  // not cumulative; summed when rendered
    uint64_t latency_count = 0;
    double latency_sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Protocol, std::less<>> by_protocol_;
};

}  // namespace trawl
