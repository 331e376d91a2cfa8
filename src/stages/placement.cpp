#include "stages/placement.h"

namespace trawl {

namespace {

class PlacementStage : public EntryStage {
 public:
  PlacementStage(std::string node, std::string cluster)
      : node_(std::move(node)), cluster_(std::move(cluster)) {}
  bool process(Entry& e) override {
    if (!node_.empty()) e.context.set(ContextField::kNodeName, node_);
    if (!cluster_.empty()) e.context.set(ContextField::kClusterName, cluster_);
    return true;
  }

 private:
  const std::string node_, cluster_;
};

}  // namespace

StageSpec placement_stage(std::string node, std::string cluster) {
  return {"placement", [node, cluster] { return std::make_unique<PlacementStage>(node, cluster); }};
}

}  // namespace trawl
