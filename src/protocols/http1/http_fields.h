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

// A body, undone of its Content-Encoding (in place) and cut at max_body.
struct BodyState {
  uint64_t size = 0;       // bodySize: decoded when whole, else as sent
  bool truncated = false;  // a prefix: cut on the wire, by a cap, or by the memory budget
  bool decode_failed = false;
};

// Decodes `body` (the kept bytes, a prefix when `wire_body_capped`) in place.
BodyState decode_body(std::string& body, uint64_t body_size, bool wire_body_capped,
                      std::string_view content_encoding, size_t max_body);

// Sets body / bodyBase64, bodySize, bodyTruncated and bodyDecodeError on
// `side`; returns whether the body is truncated.
bool set_body_fields(Json& side, std::string&& body, const BodyState& state,
                     std::string_view content_encoding);

// Both at once.
bool set_body_fields(Json& side, std::string kept, uint64_t body_size, bool wire_body_capped,
                     std::string_view content_encoding, size_t max_body);

}  // namespace trawl
