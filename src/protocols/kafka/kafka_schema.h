// The bodies of Kafka requests and responses, described per API and version in
// a compact text form of Kafka's own message schemas, read once at startup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trawl::kafka {

enum class FieldType : uint8_t {
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint16,
  kBool,
  kFloat64,
  kUuid,
  kString,   // nullable or not: the wire form is the same
  kBytes,    // likewise
  kRecords,  // a record set (message sets v0/v1 or record batches v2)
  kArray,    // of `element`
  kStructs,  // array of structs with `fields`
};

struct Field {
  std::string name;
  FieldType type = FieldType::kInt32;
  FieldType element = FieldType::kInt32;
  int16_t min_version = 0, max_version = INT16_MAX;
  bool topic_name = false;  // goes into the entry's `topics` list
  bool redacted = false;    // credentials: never shown
  std::vector<Field> fields;

  bool in(int16_t version) const { return version >= min_version && version <= max_version; }
};

struct MessageSchema {
  int16_t max_version = -1;            // newest version described
  int16_t first_flexible = INT16_MAX;  // compact types and tagged fields from here
  std::vector<Field> fields;
};

// Null when the API's bodies are not described.
const MessageSchema* request_schema(int16_t api_key);
const MessageSchema* response_schema(int16_t api_key);

// Parses one schema text ("name:type@versions ..."); throws std::invalid_argument
// with the position on a mistake. Exposed for tests.
std::vector<Field> parse_schema(std::string_view text);

// Kafka's name for an error code ("UNKNOWN_TOPIC_OR_PARTITION"), or "" when unknown.
std::string_view error_name(int16_t code);

}  // namespace trawl::kafka
