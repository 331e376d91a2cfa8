// parse_object for a value already parsed (a list's item, a watch event's
// object), for the kube/ files that read JSON with simdjson.
#pragma once

#include <simdjson.h>

#include <string>

#include "kube/objects.h"

namespace trawl::kube {

// `kind_if_absent`: the kind of a typed list's items, which carry none.
bool parse_object(simdjson::dom::element e, Object& out, std::string& error,
                  std::string_view kind_if_absent = {});

}  // namespace trawl::kube
