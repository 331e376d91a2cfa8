// JSON text into a Json value (simdjson), for bodies trawl reads into entries.
#pragma once

#include <string_view>

#include "entries/json.h"

namespace trawl {

// False (out untouched) when `text` is not one JSON value. Nesting deeper than
// 64 levels is kept as empty objects or arrays.
bool parse_json(std::string_view text, Json& out);

// Raw JSON text anywhere in `j` (Json::raw) parsed into values, for readers that
// walk fields. Text that does not parse (a dissector's bug) becomes a string.
void expand_raw(Json& j);

}  // namespace trawl
