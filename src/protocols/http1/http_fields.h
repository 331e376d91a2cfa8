// Entry fields shared by the HTTP family: query strings and bodies.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "entries/json.h"

namespace trawl {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Header fields as entry.md `headers`: lower-cased names, repeated ones joined with ", ".
Json headers_json(HeaderList headers);

// The standard reason phrase of a status code ("" when unassigned); HTTP/2 has none
// on the wire.
std::string_view http_reason_phrase(int status);

// "a=1&b=2&a=3" -> {"a": ["1", "3"], "b": "2"}, percent- and plus-decoded.
Json parse_query_string(std::string_view query);

// Sets body / bodyBase64, bodySize and bodyTruncated on `side`, undoing
// Content-Encoding first. `wire_body_capped` says the kept bytes are a prefix.
// `kept` is taken by value so a body that needs no decoding is moved, not copied.
void set_body_fields(Json& side, std::string kept, uint64_t body_size, bool wire_body_capped,
                     std::string_view content_encoding, size_t max_body);

}  // namespace trawl
