// JSON values as YAML block text, for people to read (`trawl manifests`).
// Strings that YAML would read as another type, or that need escapes, are
// double-quoted (a JSON string is a YAML double-quoted scalar).
#pragma once

#include <string>

#include "entries/json.h"

namespace trawl::kube {

// One YAML document (without the "---" line); `value` is an object.
std::string yaml_text(const Json& value);

}  // namespace trawl::kube
