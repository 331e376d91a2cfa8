#include "kube/yaml_text.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace trawl::kube {

namespace {

// Whether YAML 1.1 or 1.2 could read the plain scalar as something else.
bool reads_as_other_type(std::string_view s) {
  static constexpr std::array<std::string_view, 11> kWords = {
      "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ""};
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) return true;
  return s.find_first_not_of("0123456789+-.eE_:xXoObB") == std::string_view::npos;
}

bool needs_quotes(std::string_view s) {
  if (reads_as_other_type(s)) return true;
  if (!std::isalnum(static_cast<unsigned char>(s.front())) && s.front() != '/') return true;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("./_-").find(c) == std::string_view::npos)
      return true;
  return false;
}

void scalar(std::string& out, const Json& v) {
  if (v.is_string() && !needs_quotes(v.str())) {
    out += v.str();
  } else {
    v.write(out);  // numbers, booleans and null as JSON writes them; quoted strings
  }
}

bool is_empty_collection(const Json& v) {
  return (v.is_object() && v.fields().empty()) || (v.is_array() && v.items().empty());
}

void block(std::string& out, const Json& v, size_t indent);

// The value after "key:" or "- ": a scalar or empty collection on the same
// line, else a nested block on the lines below.
void value_after(std::string& out, const Json& v, size_t indent, bool in_sequence) {
  if (is_empty_collection(v)) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object() && in_sequence) {
    out += ' ';
    block(out, v, indent + 2);  // "- key: ..." with the rest aligned below it
  } else if (v.is_object() || v.is_array()) {
    out += '\n';
    block(out, v, v.is_array() && !in_sequence ? indent : indent + 2);
  } else {
    out += ' ';
    scalar(out, v);
    out += '\n';
  }
}

// Writes an object or array whose first line continues the current one when
// `out` does not end with a newline.
void block(std::string& out, const Json& v, size_t indent) {
  bool first = true;
  auto start_line = [&] {
    if (!first || out.empty() || out.back() == '\n') out.append(indent, ' ');
    first = false;
  };
  if (v.is_object()) {
    for (const auto& [key, value] : v.fields()) {
      start_line();
      scalar(out, Json(key));
      out += ':';
      value_after(out, value, indent, false);
    }
  } else {
    for (const Json& item : v.items()) {
      start_line();
      out += '-';
      value_after(out, item, indent, true);
    }
  }
}

}  // namespace

std::string yaml_text(const Json& value) {
  std::string out;
  block(out, value, 0);
  return out;
}

}  // namespace trawl::kube
