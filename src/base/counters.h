// Counters declared once. A component lists its counters as
//   X(member, section, key, metric, help)
// and TRAWL_COUNTERS(Type, LIST) makes the struct's members from that list and
// counter_fields(const Type*), which /api/stats (section.key) and /metrics
// (metric, when not empty) read.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace trawl {

template <typename Counters>
struct CounterField {
  uint64_t Counters::*member;
  std::string_view section;  // the /api/stats object it is in
  std::string_view key;
  std::string_view metric;  // its Prometheus counter, "" for none
  std::string_view help;
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

}  // namespace trawl
