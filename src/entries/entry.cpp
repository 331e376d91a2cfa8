#include "entries/entry.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "entries/json_parse.h"
#include "entries/json_writer.h"

namespace trawl {

namespace {

// entry.md's protocol names with their display abbreviations, in its order.
constexpr std::array<std::pair<std::string_view, std::string_view>, kProtocolCount> kProtocols{{
    {"http", "HTTP"},
    {"http2", "HTTP/2"},
    {"grpc", "gRPC"},
    {"graphql", "GQL"},
    {"websocket", "WS"},
    {"amqp", "AMQP"},
    {"kafka", "KAFKA"},
    {"redis", "REDIS"},
    {"ldap", "LDAP"},
    {"dns", "DNS"},
    {"icmp", "ICMP"},
    {"tls", "TLS"},
    {"tcp", "TCP"},
    {"udp", "UDP"},
    {"sctp", "SCTP"},
}};

}  // namespace

int protocol_index(std::string_view name) {
  for (size_t i = 0; i < kProtocols.size(); ++i)
    if (kProtocols[i].first == name) return int(i);
  return -1;
}

std::string_view protocol_name(size_t index) {
  return kProtocols[index].first;
}

std::string_view protocol_named(std::string_view word) {
  for (const auto& [name, abbr] : kProtocols) {
    if (name == word) return name;
    if (abbr.size() == word.size() && std::equal(abbr.begin(), abbr.end(), word.begin(),
                                                 [](char a, char w) { return (a | 0x20) == w; }))
      return name;
  }
  return {};
}

std::string_view protocol_abbr(std::string_view name) {
  int i = protocol_index(name);
  return i < 0 ? name : kProtocols[size_t(i)].second;
}

namespace {

// The decimal digits of a timestamp in microseconds. Entries in a row share
// their second: its digits are kept, and only the last six are made anew.
size_t timestamp_digits(char* out, int64_t us) {
  thread_local int64_t second = -1;
  thread_local char second_digits[24];
  thread_local size_t second_size = 0;
  if (us < 1000000) return size_t(format_json_number(out, us) - out);
  if (us / 1000000 != second) {
    second = us / 1000000;
    second_size = size_t(format_json_number(second_digits, second) - second_digits);
  }
  std::memcpy(out, second_digits, second_size);
  char* q = out + second_size;
  uint32_t micros = uint32_t(us % 1000000);
  for (int i = 5; i >= 0; --i, micros /= 10) q[i] = char('0' + micros % 10);
  return second_size + 6;
}

// The entry's own fields, written by a JsonWriter.
class EntryWriter : public JsonWriter {
 public:
  using JsonWriter::JsonWriter;

  // `"timestamp":` in milliseconds and `"timestampUs":`, from one conversion:
  // the milliseconds are the microseconds' digits but the last three.
  void timestamps(int64_t us) {
    char digits[24];
    size_t n = timestamp_digits(digits, us);
    literal(",\"timestamp\":");
    if (us >= 1000)
      literal(std::string_view(digits, n - 3));
    else
      number(us / 1000);
    literal(",\"timestampUs\":");
    literal(std::string_view(digits, n));
  }
  // `"protocol":{...}`: entries in a row mostly have the same, written once.
  void protocol(const Entry& e) {
    struct Written {
      std::string name, version, layer4, text;
    };
    thread_local Written last;
    if (e.protocol != last.name || e.version != last.version || e.layer4 != last.layer4) {
      last = {e.protocol, e.version, e.layer4, {}};
      JsonWriter w(last.text);
      w.literal("\"protocol\":{\"name\":");
      w.string(e.protocol);
      w.literal(",\"abbr\":");
      w.string(protocol_abbr(e.protocol));
      w.literal(",\"version\":");
      w.string(e.version);
      w.literal(",\"layer4\":");
      w.string(e.layer4);
      w.literal("}");
    }
    literal(last.text);
  }
  void endpoint(const EntryEndpoint& ep, const EntryContext& context, int side) {
    literal("{\"ip\":");
    string(ep.ip);
    literal(",\"port\":");
    number(int64_t(ep.port));
    if (!context.own().empty())
      context_fields(context, side == 0 ? "src" : "dst", false);
    else if (const SharedContextFields* shared = context.shared(side))
      literal(shared->json);  // (each of its fields after a comma)
    literal("}");
  }
  // The context fields of one group (entries/context.h), each after a comma
  // unless `open` (its object was just opened).
  // A side's shared fields are written as their one text, in their place.
  void context_fields(const EntryContext& context, std::string_view group, bool open) {
    int side = group == "src" ? 0 : group == "dst" ? 1 : -1;
    const SharedContextFields* shared = side >= 0 ? context.shared(side) : nullptr;
    for (const auto& [field, value] : context.own()) {
      const ContextFieldInfo& info = context_field_info(field);
      if (info.group != group) continue;
      if (shared && shared->fields.front().first < field) {
        literal(shared->json);  // (each of its fields after a comma: src and dst are open)
        shared = nullptr;
        open = false;
      }
      if (!open) literal(",");
      open = false;
      string(info.key);
      literal(":");
      json(value);
    }
    if (shared) literal(shared->json);
  }
  // The groups that are objects of their own (node, cluster, capture, trace);
  // fields are in declaration order, so a group's fields come together.
  void context_groups(const EntryContext& context) {
    std::string_view written;
    for (const auto& [field, value] : context.own()) {
      std::string_view group = context_field_info(field).group;
      if (group == "src" || group == "dst" || group == written) continue;
      written = group;
      literal(",");
      string(group);
      literal(":{");
      context_fields(context, group, true);
      literal("}");
    }
  }
};

}  // namespace

namespace {

struct SpareEntryTexts {
  static constexpr size_t kCount = 16, kMinBytes = 64, kMaxBytes = 4096;
  std::vector<std::string> texts;

  void give(Json& j) {
    if (!j.is_raw()) return;
    std::string& t = j.raw_text_mut();
    if (t.capacity() < kMinBytes || t.capacity() > kMaxBytes || texts.size() >= kCount) return;
    t.clear();
    texts.push_back(std::move(t));
  }
};
thread_local SpareEntryTexts spare_entry_texts;

}  // namespace

std::string take_entry_text() {
  std::vector<std::string>& texts = spare_entry_texts.texts;
  if (texts.empty()) return {};
  std::string t = std::move(texts.back());
  texts.pop_back();
  return t;
}

void give_back_entry_texts(Entry& e) {
  spare_entry_texts.give(e.request);
  if (e.response) spare_entry_texts.give(*e.response);
}

void expand_raw(Entry& e) {
  expand_raw(e.request);
  if (e.response) expand_raw(*e.response);
}

namespace {

void write_after_id(EntryWriter& w, const Entry& e) {
  w.protocol(e);
  w.literal(",\"src\":");
  w.endpoint(e.src, e.context, 0);
  w.literal(",\"dst\":");
  w.endpoint(e.dst, e.context, 1);
  w.timestamps(e.timestamp_us);
  w.literal(",\"elapsedTime\":");
  w.number(e.elapsed_ms);
  w.literal(",\"request\":");
  w.json(e.request);
  if (e.response) {
    w.literal(",\"response\":");
    w.json(*e.response);
  }
  w.literal(",\"requestSize\":");
  w.number(int64_t(e.request_size));
  w.literal(",\"responseSize\":");
  w.number(int64_t(e.response_size));
  w.literal(",\"stream\":");
  w.string(e.stream);
  w.literal(e.tls ? ",\"tls\":true" : ",\"tls\":false");
  if (!e.error.empty()) {
    w.literal(",\"error\":");
    w.string(e.error);
  }
  if (!e.context.empty()) w.context_groups(e.context);
  w.literal("}");
}

void write_with_id(EntryWriter& w, const Entry& e) {
  w.literal("{\"id\":\"");
  w.number(int64_t(e.id));
  w.literal("\",");
  write_after_id(w, e);
}

}  // namespace

void write_entry_json(std::string& out, const Entry& e) {
  EntryWriter w(out);
  write_with_id(w, e);
}

void write_entry_json(TextBuffer& out, const Entry& e) {
  EntryWriter w(out);
  write_with_id(w, e);
}

void write_entry_json_after_id(std::string& out, const Entry& e) {
  EntryWriter w(out);
  write_after_id(w, e);
}

void write_entry_json_after_id(TextBuffer& out, const Entry& e) {
  EntryWriter w(out);
  write_after_id(w, e);
}

}  // namespace trawl
