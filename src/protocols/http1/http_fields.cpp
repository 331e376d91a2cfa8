#include "protocols/http1/http_fields.h"

#include <unordered_map>
#include <vector>

#include "base/decompress.h"
#include "base/text.h"

namespace trawl {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

QueryParams parse_query_params(std::string_view query) {
  // An index keeps this linear for long query strings with thousands of parameters.
  QueryParams params;
  std::unordered_map<std::string, size_t> index;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = url_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    auto [it, fresh] = index.try_emplace(name, params.size());
    if (fresh) params.emplace_back(std::move(name), std::vector<std::string>{});
    params[it->second].second.push_back(std::move(value));
  }
  return params;
}

Json parse_query_string(std::string_view query) {
  Json out = Json::object();
  for (auto& [name, values] : parse_query_params(query)) {
    if (values.size() == 1) {
      out.set(std::move(name), std::move(values[0]));
      continue;
    }
    Json list = Json::array();
    for (auto& v : values) list.push(std::move(v));
    out.set(std::move(name), std::move(list));
  }
  return out;
}

void write_query_string_json(std::string& out, const QueryParams& params) {
  out += '{';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ',';
    const auto& [name, values] = params[i];
    write_json_string(out, name);
    out += ':';
    if (values.size() == 1) {
      write_json_string(out, values[0]);
      continue;
    }
    out += '[';
    for (size_t v = 0; v < values.size(); ++v) {
      if (v > 0) out += ',';
      write_json_string(out, values[v]);
    }
    out += ']';
  }
  out += '}';
}

std::string_view single_query_value(const QueryParams& params, std::string_view name) {
  for (const auto& [n, values] : params)
    if (n == name) return values.size() == 1 ? std::string_view(values[0]) : std::string_view();
  return {};
}

namespace {

// A HeaderList as merge_repeated_names() sees it.
struct HeaderListFields {
  HeaderList& list;
  size_t size() const { return list.size(); }
  std::string_view lower_name(size_t i) {
    lower_ascii_in_place(list[i].first.data(), list[i].first.size());
    return list[i].first;
  }
  std::string_view name(size_t i) const { return list[i].first; }
  void join(size_t at, size_t i) {
    list[at].second += ", ";
    list[at].second += list[i].second;
  }
  void move(size_t to, size_t from) { list[to] = std::move(list[from]); }
  void resize(size_t n) { list.resize(n); }
};

}  // namespace

Json headers_json(HeaderList headers) {
  HeaderListFields fields{headers};
  merge_repeated_names(fields);
  Json out = Json::object();
  auto& object = out.fields_mut();
  object.reserve(headers.size());
  for (auto& [name, value] : headers) object.emplace_back(std::move(name), Json(std::move(value)));
  return out;
}

namespace {

constexpr std::pair<int, std::string_view> kReasonPhrases[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
    {511, "Network Authentication Required"},
};

}  // namespace

std::string_view http_reason_phrase(int status) {
  for (const auto& [code, phrase] : kReasonPhrases)
    if (code == status) return phrase;
  return "";
}

BodyState decode_body(std::string& body, uint64_t body_size, bool wire_body_capped,
                      std::string_view content_encoding, size_t max_body) {
  BodyState out{body_size, wire_body_capped, false};
  if (body_size == 0) return out;
  Codec codec = codec_from_content_encoding(content_encoding);
  if (codec != Codec::kIdentity && codec != Codec::kUnknown) {
    Decompressed d = decompress(codec, body, max_body);
    if (d.ok) {
      body = std::move(d.data);
      out.truncated = out.truncated || d.truncated;
      // The decoded length is known only when whole.
      out.size = out.truncated ? body_size : body.size();
    } else {
      out.decode_failed = true;
    }
  }
  if (body.size() > max_body) {
    body.resize(max_body);
    body.shrink_to_fit();
    out.truncated = true;
  }
  return out;
}

bool set_body_fields(Json& side, std::string&& body, const BodyState& state,
                     std::string_view content_encoding) {
  if (state.size == 0) {
    side.set("bodySize", 0);
    return false;
  }
  if (state.decode_failed)
    side.set("bodyDecodeError", "corrupt " + std::string(content_encoding) + " body");
  if (is_valid_utf8(body)) {
    side.set("body", std::move(body));
  } else {
    side.set("bodyBase64", base64_encode(body));
  }
  side.set("bodySize", state.size);
  if (state.truncated) side.set("bodyTruncated", true);
  return state.truncated;
}

BodyWritten write_body_fields(JsonWriter& w, std::string_view body, const BodyState& state,
                              std::string_view content_encoding) {
  if (state.size == 0) {
    w.literal(",\"bodySize\":0");
    return {};
  }
  if (state.decode_failed) {
    w.literal(",\"bodyDecodeError\":");
    w.string("corrupt " + std::string(content_encoding) + " body");
  }
  constexpr std::string_view kBody = ",\"body\":";
  w.literal(kBody);
  bool invalid_utf8 = false;
  if (!w.simple_string(body)) {
    std::string& out = w.out();
    size_t mark = out.size() - kBody.size();
    write_json_string(out, body, &invalid_utf8);
    if (invalid_utf8) {
      out.resize(mark);
      out += ",\"bodyBase64\":";
      write_json_string(out, base64_encode(body));
    }
  }
  w.literal(",\"bodySize\":");
  w.number(int64_t(state.size));
  if (state.truncated) w.literal(",\"bodyTruncated\":true");
  return {state.truncated, !invalid_utf8};
}

bool set_body_fields(Json& side, std::string kept, uint64_t body_size, bool wire_body_capped,
                     std::string_view content_encoding, size_t max_body) {
  BodyState state = decode_body(kept, body_size, wire_body_capped, content_encoding, max_body);
  return set_body_fields(side, std::move(kept), state, content_encoding);
}

}  // namespace trawl
