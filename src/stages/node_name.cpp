#include "stages/node_name.h"

namespace trawl {

namespace {

class NodeNameStage : public EntryStage {
 public:
  explicit NodeNameStage(std::string name) : name_(std::move(name)) {}
  bool process(Entry& e) override {
    e.context.set(ContextField::kNodeName, name_);
    return true;
  }

 private:
  const std::string name_;
};

}  // namespace

StageSpec node_name_stage(std::string name) {
  return {"node", [name] { return std::make_unique<NodeNameStage>(name); }};
}

}  // namespace trawl
