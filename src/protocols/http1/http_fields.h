// Entry fields shared by the HTTP family: query strings and bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "entries/json.h"
#include "entries/json_writer.h"

namespace trawl {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Merges a list of fields as entry.md `headers` wants them, in place: names
// lower-cased, the values of a repeated name joined with ", " where it first
// appeared. `Fields` has size(), lower_name(i) (lower-cases the i-th name and
// returns it), name(i), join(at, i) (appends ", " and the i-th value to the at-th),
// move(to, from) and resize(n).
// A usual head is searched linearly, and only for a name whose length and
// first letter were seen before; a long one through a hash index, so that a
// hostile head of thousands of fields stays linear in time.
template <class Fields>
void merge_repeated_names(Fields& fields) {
  constexpr size_t kLinearSearchMax = 32;
  const size_t n = fields.size();
  std::unordered_map<std::string, size_t> index;  // filled only for long heads
  uint64_t seen = 0;  // one bit per (length, first letter) of the names kept
  size_t merged = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string_view name = fields.lower_name(i);
    size_t at = merged;
    if (n <= kLinearSearchMax) {
      uint64_t bit = uint64_t(1) << ((name.size() * 7 + (name.empty() ? 0 : name[0])) & 63);
      for (size_t j = 0; (seen & bit) && j < merged && at == merged; ++j)
        if (fields.name(j) == name) at = j;
      seen |= bit;
    } else {
      at = index.try_emplace(std::string(name), merged).first->second;
    }
    if (at < merged) {
      fields.join(at, i);
    } else {
      if (i != merged) fields.move(merged, i);
      ++merged;
    }
  }
  fields.resize(merged);
}

// Header fields merged (above) as a JSON object.
Json headers_json(HeaderList headers);

// The standard reason phrase of a status code ("" when unassigned); HTTP/2 has none
// on the wire.
std::string_view http_reason_phrase(int status);

// "a=1&b=2&a=3" -> (a: 1, 3), (b: 2): percent- and plus-decoded, names in the
// order first seen.
using QueryParams = std::vector<std::pair<std::string, std::vector<std::string>>>;
QueryParams parse_query_params(std::string_view query);
// As entry.md `queryString`, {"a": ["1", "3"], "b": "2"}: a tree, or text.
Json parse_query_string(std::string_view query);
void write_query_string_json(std::string& out, const QueryParams& params);
// The value of a name given once; empty when absent or repeated.
std::string_view single_query_value(const QueryParams& params, std::string_view name);

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

// The same written to the JSON text of an object that has fields already
// (each field with its leading comma).
struct BodyWritten {
  bool truncated = false;
  bool as_text = false;  // `body` was written (not empty, not bodyBase64)
};
BodyWritten write_body_fields(JsonWriter& w, std::string_view body, const BodyState& state,
                              std::string_view content_encoding);

// Both at once.
bool set_body_fields(Json& side, std::string kept, uint64_t body_size, bool wire_body_capped,
                     std::string_view content_encoding, size_t max_body);

}  // namespace trawl
