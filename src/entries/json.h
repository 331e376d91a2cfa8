// A small ordered JSON value: entries keep field order as the spec lists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace trawl {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

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

  bool is_null() const { return v_.index() == 0; }
  bool is_object() const { return std::holds_alternative<Object>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }

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
  const Array& items() const { return std::get<Array>(v_); }
  const Object& fields() const { return std::get<Object>(v_); }
  Object& fields_mut() { return std::get<Object>(v_); }
  Array& items_mut() { return std::get<Array>(v_); }

  void write(std::string& out) const;
  std::string dump() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

// Appends s as a JSON string literal; bytes that are not valid UTF-8 are written
// as their Latin-1 code points so the output is always valid JSON.
void write_json_string(std::string& out, std::string_view s);

}  // namespace trawl
