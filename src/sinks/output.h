// Where kept entries go: the store, metrics, the live stream (a worker's
// list), JSON Lines or a table (trawl read's), and exporters. Each sees every
// entry the stages kept, in the order of the list.
#pragma once

#include <vector>

#include "entries/entry.h"

namespace trawl {

class EntryOutput {
 public:
  virtual ~EntryOutput() = default;
  // May set what is this output's to set: the store gives the entry its id, so
  // it comes first in a list whose other outputs show ids.
  virtual void write(Entry& e) = 0;
};

class OutputList : public EntrySink {
 public:
  void add(EntryOutput& output) { outputs_.push_back(&output); }
  void emit(Entry&& e) override {
    for (EntryOutput* o : outputs_) o->write(e);
  }

 private:
  std::vector<EntryOutput*> outputs_;
};

}  // namespace trawl
