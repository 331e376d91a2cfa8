// node.name on every entry: the node whose worker captured it (entry.md).
#pragma once

#include <string>

#include "stages/stage.h"

namespace trawl {

StageSpec node_name_stage(std::string name);

}  // namespace trawl
