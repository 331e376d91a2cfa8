// Counters declared once. A component lists its counters as
//   X(member, section, key, metric, help)
// and TRAWL_COUNTERS(Type, LIST) makes the struct's members from that list and
// counter_fields(const Type*), which /api/stats (section.key) and /metrics
// (metric, when not empty) read.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace trawl {

template <typename Counters>
struct CounterField {
  uint64_t Counters::*member;
  std::string_view section;  // the /api/stats object it is in
  std::string_view key;
  std::string_view metric;  // its Prometheus counter, "" for none
  std::string_view help;
};

// A counter /metrics shows as a Prometheus counter, read from /api/stats.
struct CounterMetric {
  std::string_view section, key, metric, help;
};

#define TRAWL_COUNTER_MEMBER(member, section, key, metric, help) uint64_t member = 0;
#define TRAWL_COUNTER_FIELD(member, section, key, metric, help) \
  {&CountersType::member, section, key, metric, help},

// The list of Type's counters, for the generic readers.
#define TRAWL_COUNTER_FIELDS(Type, LIST)                                         \
  inline std::span<const CounterField<Type>> counter_fields(const Type*) {       \
    using CountersType = Type;                                                   \
    static constexpr CounterField<Type> kFields[] = {LIST(TRAWL_COUNTER_FIELD)}; \
    return kFields;                                                              \
  }

// Appends the counters of `Counters` that have a Prometheus name.
template <typename Counters>
void add_counter_metrics(std::vector<CounterMetric>& out) {
  for (const CounterField<Counters>& f : counter_fields(static_cast<const Counters*>(nullptr)))
    if (!f.metric.empty()) out.push_back({f.section, f.key, f.metric, f.help});
}

}  // namespace trawl
