#include "entries/json.h"

#include <cmath>
#include <cstdio>

namespace trawl {

Json& Json::set(std::string key, Json value) {
  if (!is_object()) v_ = Object{};
  auto& o = std::get<Object>(v_);
  o.emplace_back(std::move(key), std::move(value));
  return o.back().second;
}

Json& Json::operator[](std::string_view key) {
  if (!is_object()) v_ = Object{};
  auto& o = std::get<Object>(v_);
  for (auto& [k, v] : o)
    if (k == key) return v;
  o.emplace_back(std::string(key), Json());
  return o.back().second;
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_))
    if (k == key) return &v;
  return nullptr;
}

Json& Json::push(Json value) {
  if (!is_array()) v_ = Array{};
  auto& a = std::get<Array>(v_);
  a.push_back(std::move(value));
  return a.back();
}

size_t Json::size() const {
  if (is_array()) return std::get<Array>(v_).size();
  if (is_object()) return std::get<Object>(v_).size();
  return 0;
}

namespace {

// Length of the valid UTF-8 sequence starting at p[0], or 0 when invalid.
size_t utf8_sequence_length(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  size_t len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

void write_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, run = 0;  // run: start of bytes copied verbatim
  auto flush = [&](size_t upto) { out.append(s.data() + run, upto - run); };
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = utf8_sequence_length(p + i, n - i)) {
        i += len;
        continue;
      }
      flush(i);
      out += char(0xC0 | (c >> 6));  // Latin-1 byte as a UTF-8 code point
      out += char(0x80 | (c & 0x3F));
      run = ++i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    run = ++i;
  }
  flush(n);
  out += '"';
}

void Json::write(std::string& out) const {
  switch (v_.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
    case 2: out += std::to_string(std::get<int64_t>(v_)); break;
    case 3: {
      double d = std::get<double>(v_);
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char buf[32];
      int len = std::snprintf(buf, sizeof buf, "%.3f", d);
      // Trim trailing zeros of the fraction: 1.500 -> 1.5, 2.000 -> 2.
      while (len > 1 && buf[len - 1] == '0') --len;
      if (buf[len - 1] == '.') --len;
      out.append(buf, len);
      break;
    }
    case 4: write_json_string(out, std::get<std::string>(v_)); break;
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& item : std::get<Array>(v_)) {
        if (!first) out += ',';
        first = false;
        item.write(out);
      }
      out += ']';
      break;
    }
    case 6: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : std::get<Object>(v_)) {
        if (!first) out += ',';
        first = false;
        write_json_string(out, k);
        out += ':';
        v.write(out);
      }
      out += '}';
      break;
    }
  }
}

std::string Json::dump() const {
  std::string out;
  write(out);
  return out;
}

}  // namespace trawl
