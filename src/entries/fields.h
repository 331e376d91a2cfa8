// Every field of the entry outside request and response (entry.md), declared
// once: the common fields here, the context fields in entries/context.h. The
// JSON reader and KFL's field lookup go through this list; the JSON writer and
// the store's record write the fields in its order (tests hold them to it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "entries/entry.h"

namespace trawl {

enum class FieldType : uint8_t { kString, kInt, kDouble, kBool, kJson, kIdText };

// A field's value read from an entry, viewing into it (kIdText: the number
// `i`, written as a string).
struct FieldValue {
  FieldType type = FieldType::kString;
  bool present = false;
  std::string_view s;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  const Json* j = nullptr;
};

struct EntryField {
  std::string_view group;  // the object the field is in ("" at the top)
  std::string_view key;
  // A common field's reader and writer (set is null for one derived from
  // another, such as timestamp from timestampUs); null for a context field.
  FieldValue (*get)(const Entry&) = nullptr;
  void (*set)(Entry&, const Json&) = nullptr;
  int context = -1;  // the ContextField of a context field
};

std::span<const EntryField> entry_fields();
const EntryField* find_entry_field(std::string_view group, std::string_view key);
FieldValue entry_field_value(const EntryField& f, const Entry& e);

// protocol, src, dst, node, cluster, capture, trace: objects of fields.
bool is_entry_group(std::string_view name);
// The group's fields the entry has, as one object (null when it has none).
Json entry_group_json(const Entry& e, std::string_view group);

// Sets every declared field the JSON object has (request and response are not
// fields: the caller takes them).
void read_entry_fields(const Json& entry, Entry& e);

}  // namespace trawl
