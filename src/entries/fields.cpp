#include "entries/fields.h"

#include <array>
#include <cstdlib>
#include <vector>

namespace trawl {

namespace {

FieldValue text(std::string_view s) {
  return {FieldType::kString, true, s};
}
FieldValue integer(int64_t i) {
  return {FieldType::kInt, true, {}, i};
}
std::string text_of(const Json& v) {
  return v.is_string() ? v.str() : std::string();
}
int64_t integer_of(const Json& v) {
  return v.is_int() ? v.integer() : 0;
}

// The common fields in the order the JSON writer writes them.
const auto kCommonFields = std::to_array<EntryField>({
    {"", "id",
     [](const Entry& e) {
       return FieldValue{FieldType::kIdText, true, {}, int64_t(e.id)};
     },
     [](Entry& e, const Json& v) { e.id = std::strtoull(text_of(v).c_str(), nullptr, 10); }},
    {"protocol", "name", [](const Entry& e) { return text(e.protocol); },
     [](Entry& e, const Json& v) { e.protocol = text_of(v); }},
    {"protocol", "abbr", [](const Entry& e) { return text(protocol_abbr(e.protocol)); }, nullptr},
    {"protocol", "version", [](const Entry& e) { return text(e.version); },
     [](Entry& e, const Json& v) { e.version = text_of(v); }},
    {"protocol", "layer4", [](const Entry& e) { return text(e.layer4); },
     [](Entry& e, const Json& v) { e.layer4 = text_of(v); }},
    {"src", "ip", [](const Entry& e) { return text(e.src.ip); },
     [](Entry& e, const Json& v) { e.src.ip = text_of(v); }},
    {"src", "port", [](const Entry& e) { return integer(e.src.port); },
     [](Entry& e, const Json& v) { e.src.port = uint16_t(integer_of(v)); }},
    {"dst", "ip", [](const Entry& e) { return text(e.dst.ip); },
     [](Entry& e, const Json& v) { e.dst.ip = text_of(v); }},
    {"dst", "port", [](const Entry& e) { return integer(e.dst.port); },
     [](Entry& e, const Json& v) { e.dst.port = uint16_t(integer_of(v)); }},
    {"", "timestamp", [](const Entry& e) { return integer(e.timestamp_us / 1000); }, nullptr},
    {"", "timestampUs", [](const Entry& e) { return integer(e.timestamp_us); },
     [](Entry& e, const Json& v) { e.timestamp_us = integer_of(v); }},
    {"", "elapsedTime",
     [](const Entry& e) {
       return FieldValue{FieldType::kDouble, true, {}, 0, e.elapsed_ms};
     },
     [](Entry& e, const Json& v) {
       e.elapsed_ms = v.is_double() ? v.number() : double(integer_of(v));
     }},
    {"", "requestSize", [](const Entry& e) { return integer(int64_t(e.request_size)); },
     [](Entry& e, const Json& v) { e.request_size = uint64_t(integer_of(v)); }},
    {"", "responseSize", [](const Entry& e) { return integer(int64_t(e.response_size)); },
     [](Entry& e, const Json& v) { e.response_size = uint64_t(integer_of(v)); }},
    {"", "stream", [](const Entry& e) { return text(e.stream); },
     [](Entry& e, const Json& v) { e.stream = text_of(v); }},
    {"", "tls", [](const Entry& e) { return FieldValue{FieldType::kBool, true, {}, 0, 0, e.tls}; },
     [](Entry& e, const Json& v) { e.tls = v.is_bool() && v.boolean(); }},
    // Absent when there is none.
    {"", "error",
     [](const Entry& e) {
       return FieldValue{FieldType::kString, !e.error.empty(), e.error};
     },
     [](Entry& e, const Json& v) { e.error = text_of(v); }},
});

std::vector<EntryField> all_fields() {
  std::vector<EntryField> all(kCommonFields.begin(), kCommonFields.end());
  for (size_t i = 0; i < size_t(ContextField::kCount); ++i) {
    const ContextFieldInfo& info = context_field_info(ContextField(i));
    all.push_back({info.group, info.key, nullptr, nullptr, int(i)});
  }
  return all;
}

constexpr std::array<std::string_view, 7> kGroups{"protocol", "src",     "dst",  "node",
                                                  "cluster",  "capture", "trace"};

// The value as JSON, for an object of fields.
Json to_json(const FieldValue& v) {
  switch (v.type) {
    case FieldType::kString:
      return Json(v.s);
    case FieldType::kInt:
      return Json(v.i);
    case FieldType::kDouble:
      return Json(v.d);
    case FieldType::kBool:
      return Json(v.b);
    case FieldType::kJson:
      return *v.j;
    case FieldType::kIdText:
      return Json(std::to_string(uint64_t(v.i)));
  }
  return Json();
}

}  // namespace

std::span<const EntryField> entry_fields() {
  static const std::vector<EntryField> fields = all_fields();
  return fields;
}

const EntryField* find_entry_field(std::string_view group, std::string_view key) {
  for (const EntryField& f : entry_fields())
    if (f.group == group && f.key == key) return &f;
  return nullptr;
}

FieldValue entry_field_value(const EntryField& f, const Entry& e) {
  if (f.get) return f.get(e);
  const Json* v = e.context.get(ContextField(f.context));
  if (!v) return {};
  if (v->is_string()) return text(v->str());
  if (v->is_int()) return integer(v->integer());
  return FieldValue{FieldType::kJson, true, {}, 0, 0, false, v};
}

bool is_entry_group(std::string_view name) {
  for (std::string_view g : kGroups)
    if (g == name) return true;
  return false;
}

Json entry_group_json(const Entry& e, std::string_view group) {
  Json out;
  for (const EntryField& f : entry_fields()) {
    if (f.group != group) continue;
    FieldValue v = entry_field_value(f, e);
    if (!v.present) continue;
    if (out.is_null()) out = Json::object();
    out.set(std::string(f.key), to_json(v));
  }
  return out;
}

void read_entry_fields(const Json& entry, Entry& e) {
  for (const EntryField& f : entry_fields()) {
    const Json* parent = f.group.empty() ? &entry : entry.find(f.group);
    const Json* v = parent && parent->is_object() ? parent->find(f.key) : nullptr;
    if (!v) continue;
    if (f.set)
      f.set(e, *v);
    else if (f.context >= 0)
      e.context.set(ContextField(f.context), *v);  // a value of another type is left out
  }
}

}  // namespace trawl
