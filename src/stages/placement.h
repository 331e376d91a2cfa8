// Where an entry was captured, on every entry (entry.md): node.name, the node
// whose worker captured it, and cluster.name, the cluster it belongs to.
#pragma once

#include <string>

#include "stages/stage.h"

namespace trawl {

// An empty name is not set.
StageSpec placement_stage(std::string node, std::string cluster);

}  // namespace trawl
