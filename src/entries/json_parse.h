// JSON text into a Json value (simdjson), for bodies trawl reads into entries.
#pragma once

#include <string_view>

#include "entries/entry.h"
#include "entries/json.h"

namespace trawl {

// False (out untouched) when `text` is not one JSON value. Nesting deeper than
// 64 levels is kept as empty objects or arrays.
bool parse_json(std::string_view text, Json& out);

// An entry as write_entry_json() wrote it (the API's, `trawl read --json`'s);
// false when `text` is not such an object.
bool read_entry_json(std::string_view text, Entry& e);

// Raw JSON text anywhere in `j` (Json::raw) parsed into values, for readers that
// walk fields. Text that does not parse (a dissector's bug) becomes a string.
void expand_raw(Json& j);

}  // namespace trawl
