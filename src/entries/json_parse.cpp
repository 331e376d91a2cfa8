#include "entries/json_parse.h"

#include <simdjson.h>

#include <string>

#include "entries/fields.h"

namespace trawl {

namespace {

constexpr int kMaxDepth = 64;

Json to_json(simdjson::dom::element v, int depth) {
  using T = simdjson::dom::element_type;
  switch (v.type()) {
    case T::OBJECT: {
      Json o = Json::object();
      simdjson::dom::object obj;
      if (depth >= kMaxDepth || v.get(obj)) return o;
      for (auto field : obj) o.set(std::string(field.key), to_json(field.value, depth + 1));
      return o;
    }
    case T::ARRAY: {
      Json a = Json::array();
      simdjson::dom::array arr;
      if (depth >= kMaxDepth || v.get(arr)) return a;
      for (auto item : arr) a.push(to_json(item, depth + 1));
      return a;
    }
    case T::STRING:
      return Json(std::string_view(v.get_string().value_unsafe()));
    case T::INT64:
      return Json(static_cast<long long>(v.get_int64().value_unsafe()));
    case T::UINT64:
      return Json(std::to_string(v.get_uint64().value_unsafe()));
    case T::DOUBLE:
      return Json(v.get_double().value_unsafe());
    case T::BOOL:
      return Json(v.get_bool().value_unsafe());
    case T::NULL_VALUE:
      return Json();
  }
  return Json();
}

}  // namespace

bool parse_json(std::string_view text, Json& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root)) return false;
  out = to_json(root, 0);
  return true;
}

bool read_entry_json(std::string_view text, Entry& e) {
  Json j;
  if (!parse_json(text, j) || !j.is_object() || !j.find("protocol")) return false;
  read_entry_fields(j, e);
  if (const Json* r = j.find("request")) e.request = *r;
  if (const Json* r = j.find("response")) e.response = *r;
  return true;
}

void expand_raw(Json& j) {
  if (j.is_raw()) {
    Json parsed;
    if (!parse_json(j.raw_text(), parsed)) parsed = Json(j.raw_text());
    j = std::move(parsed);
  } else if (j.is_array()) {
    for (Json& item : j.items_mut()) expand_raw(item);
  } else if (j.is_object()) {
    for (auto& [key, value] : j.fields_mut()) expand_raw(value);
  }
}

}  // namespace trawl
