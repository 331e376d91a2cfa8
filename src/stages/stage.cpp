#include "stages/stage.h"

namespace trawl {

StageList::StageList(const std::vector<StageSpec>& specs) {
  for (const StageSpec& s : specs) slots_.push_back({s.name, s.make(), 0});
}

bool StageList::run(Entry& e) {
  for (Slot& s : slots_) {
    if (s.stage->process(e)) continue;
    ++s.dropped;
    return false;
  }
  return true;
}

void StageList::add_stats(Json& entries) const {
  for (const Slot& s : slots_) entries.set("dropped_by_" + s.name, s.dropped);
}

}  // namespace trawl
