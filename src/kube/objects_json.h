// parse_object for a value already parsed (a list's item, a watch event's
// object), for the kube/ files that read JSON with simdjson.
#pragma once

#include <simdjson.h>

#include <string>

#include "kube/objects.h"

namespace trawl::kube {

bool parse_object(simdjson::dom::element e, Object& out, std::string& error);

}  // namespace trawl::kube
