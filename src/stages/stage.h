// Entry stages: what every entry passes, in order, before it is numbered and
// kept (enrich, scripts, filter, redact). The same list runs in `trawl read`
// (one thread or several), `read --serve` and `capture`: each pipeline makes
// its own instances from the list of specs, so a stage may keep state without
// locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "entries/entry.h"
#include "entries/json.h"

namespace trawl {

class EntryStage {
 public:
  virtual ~EntryStage() = default;
  // May add or change fields. False drops the entry: it gets no id and reaches
  // no output (counted as entries.dropped_by_<stage>).
  virtual bool process(Entry& e) = 0;
};

struct StageSpec {
  std::string name;  // names its counter: keep, redact, ...
  std::function<std::unique_ptr<EntryStage>()> make;
};

class StageList {
 public:
  explicit StageList(const std::vector<StageSpec>& specs);
  // Every stage in order; false as soon as one drops the entry.
  bool run(Entry& e);
  // {"dropped_by_<name>": n, ...} into an entries stats group.
  void add_stats(Json& entries) const;

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<EntryStage> stage;
    uint64_t dropped = 0;
  };
  std::vector<Slot> slots_;
};

}  // namespace trawl
