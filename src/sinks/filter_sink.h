// Passes on the entries a KFL query matches, redacted as it asks, up to its limit().
#pragma once

#include "entries/entry.h"
#include "query/kfl.h"

namespace trawl {

class FilterSink : public EntrySink {
 public:
  FilterSink(const kfl::Query& query, EntrySink& next) : query_(query), next_(next) {}

  void emit(Entry&& e) override {
    if (done() || !query_.matches(e)) return;
    if (query_.redacts()) query_.redact(e);
    ++matched_;
    next_.emit(std::move(e));
  }
  // The query's limit() is reached: nothing more will pass.
  bool done() const { return query_.limit() && matched_ >= *query_.limit(); }
  uint64_t matched() const { return matched_; }

 private:
  const kfl::Query& query_;
  EntrySink& next_;
  uint64_t matched_ = 0;
};

}  // namespace trawl
