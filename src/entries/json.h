// A small ordered JSON value: entries keep field order as the spec lists them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace trawl {

// The bytes simdjson may read past the end of JSON text (SIMDJSON_PADDING).
inline constexpr size_t kJsonPadding = 64;

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;
  // JSON text a dissector wrote directly (hot paths skip building a tree);
  // written as is, and parsed into values by expand_raw() for readers. Text
  // with kJsonPadding spare capacity is read by queries without a copy.
  struct Raw {
    std::string text;
  };

  Json() = default;
  Json(bool b) : v_(b) {}
  Json(int i) : v_(int64_t(i)) {}
  Json(unsigned i) : v_(int64_t(i)) {}
  Json(long i) : v_(int64_t(i)) {}
  Json(unsigned long i) : v_(int64_t(i)) {}
  Json(long long i) : v_(int64_t(i)) {}
  Json(unsigned long long i) : v_(int64_t(i)) {}
  Json(double d) : v_(d) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(std::string_view s) : v_(std::string(s)) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(Array a) : v_(std::move(a)) {}
  Json(Object o) : v_(std::move(o)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }
  static Json raw(std::string json_text) {
    Json j;
    j.set_raw(std::move(json_text));
    return j;
  }
  // Becomes Json::raw(json_text), in place.
  void set_raw(std::string json_text) { v_.emplace<Raw>(Raw{std::move(json_text)}); }

  bool is_null() const { return v_.index() == 0; }
  bool is_object() const { return std::holds_alternative<Object>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_raw() const { return std::holds_alternative<Raw>(v_); }

  // Object access; `set` appends without looking for an existing key (fields are
  // written once by construction), `operator[]` finds or appends.
  Json& set(std::string key, Json value);
  Json& operator[](std::string_view key);
  const Json* find(std::string_view key) const;
  // Array access.
  Json& push(Json value);
  size_t size() const;

  const std::string& str() const { return std::get<std::string>(v_); }
  std::string& str_mut() { return std::get<std::string>(v_); }
  int64_t integer() const { return std::get<int64_t>(v_); }
  bool boolean() const { return std::get<bool>(v_); }
  double number() const { return std::get<double>(v_); }
  const std::string& raw_text() const { return std::get<Raw>(v_).text; }
  std::string& raw_text_mut() { return std::get<Raw>(v_).text; }
  const Array& items() const { return std::get<Array>(v_); }
  const Object& fields() const { return std::get<Object>(v_); }
  Object& fields_mut() { return std::get<Object>(v_); }
  Array& items_mut() { return std::get<Array>(v_); }

  void write(std::string& out) const;
  std::string dump() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object, Raw> v_;
};

// Appends s as a JSON string literal; bytes that are not valid UTF-8 are written
// as their Latin-1 code points so the output is always valid JSON.
// When `invalid_utf8` is given, it is set if such a byte was met.
void write_json_string(std::string& out, std::string_view s, bool* invalid_utf8 = nullptr);
namespace json_detail {

// True when one of the eight bytes needs attention: a control character, '"',
// '\\' or a byte >= 0x80 (SWAR: no per-byte branch on plain text).
inline bool word_needs_escape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t control = (w - kOnes * 0x20) & ~w & kHigh;  // bytes < 0x20
  return (w & kHigh) || control || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'));
}

bool is_plain_long(std::string_view s);  // 16 bytes or more

}  // namespace json_detail

// True when `s` is written into a JSON string as is: ASCII, no control
// characters, no '"' or '\\'. Inline: names and short values are checked by
// two overlapping words.
inline bool is_plain_json_text(std::string_view s) {
  const size_t n = s.size();
  const char* p = s.data();
  if (n >= 16) return json_detail::is_plain_long(s);
  uint64_t a = 0x2020202020202020ull, b;  // spaces: plain padding
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x | uint64_t(y) << 32;
    b = a;
  } else {
    for (size_t i = 0; i < n; ++i) a = (a << 8) | uint8_t(p[i]);
    b = a;
  }
  return !json_detail::word_needs_escape(a) && !json_detail::word_needs_escape(b);
}

// Numbers as every Json writes them; a double that is not finite is null.
void write_json_number(std::string& out, int64_t n);
void write_json_number(std::string& out, double d);
// The same into a buffer with room for 20 (integer) or 32 (double) characters;
// returns the end of what was written.
char* format_json_number(char* q, int64_t n);
char* format_json_number(char* q, double d);

}  // namespace trawl
