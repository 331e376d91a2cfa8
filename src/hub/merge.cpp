#include "hub/merge.h"

#include <simdjson.h>

#include <algorithm>

#include "entries/json_parse.h"

namespace trawl::hub {

bool valid_member_name(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

std::string hub_id(std::string_view member, std::string_view id) {
  return std::string(member) + "~" + std::string(id);
}

bool split_hub_id(std::string_view id, std::string& member, std::string& rest) {
  size_t tilde = id.find('~');
  if (tilde == std::string_view::npos || tilde == 0 || tilde + 1 == id.size()) return false;
  member = std::string(id.substr(0, tilde));
  rest = std::string(id.substr(tilde + 1));
  return valid_member_name(member);
}

bool Cursor::is_done(const std::string& m) const {
  return std::find(done.begin(), done.end(), m) != done.end();
}

namespace {

// A member's own cursor inside ours: its commas and percent signs escaped.
std::string escape_commas(std::string_view s) {
  std::string out;
  for (char c : s)
    out += c == ',' ? std::string("%2C") : c == '%' ? std::string("%25") : std::string(1, c);
  return out;
}

bool unescape_commas(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] <= ' ' || s[i] > '~') return false;
    if (s[i] != '%') {
      out += s[i];
    } else if (s.substr(i, 3) == "%2C") {
      out += ',', i += 2;
    } else if (s.substr(i, 3) == "%25") {
      out += '%', i += 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool Cursor::parse(std::string_view text, Cursor& out) {
  out = {};
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t tilde = part.find('~');
    if (tilde == std::string_view::npos || !valid_member_name(part.substr(0, tilde))) return false;
    std::string member(part.substr(0, tilde)), before;
    if (!unescape_commas(part.substr(tilde + 1), before)) return false;
    if (before.empty())
      out.done.push_back(member);
    else
      out.before[member] = before;
  }
  return true;
}

std::string Cursor::text() const {
  std::string out;
  for (const auto& [m, b] : before) out += (out.empty() ? "" : ",") + m + "~" + escape_commas(b);
  for (const std::string& m : done) out += (out.empty() ? "" : ",") + m + "~";
  return out;
}

namespace {

struct Source {
  const Member* member = nullptr;
  simdjson::padded_string text;  // the member's page: the entries' texts are in it
  struct Item {
    std::string_view json;
    std::string id;
    int64_t timestamp = 0;
  };
  std::vector<Item> entries;  // newest first
  size_t taken = 0;
  std::string last_id;  // of the last entry taken, as the member knows it
  // A member hub's: the last entry taken of each of its members.
  std::map<std::string, std::string> last_of_member;
  bool has_more = false;    // the member's page was full, or stopped at its deadline
  std::string member_next;  // where the member said to continue
};

// Each entry's text where it is in the page: an entry is passed on as its
// member wrote it, not parsed into a tree and written again.
bool entry_texts(Source& s) {
  thread_local simdjson::ondemand::parser parser;
  size_t i = 0;
  try {
    simdjson::ondemand::document doc = parser.iterate(s.text);
    for (simdjson::ondemand::value e : doc["entries"].get_array()) {
      if (i == s.entries.size()) return false;
      simdjson::ondemand::object entry = e.get_object();
      s.entries[i++].json = entry.raw_json();
    }
  } catch (const simdjson::simdjson_error&) {
    return false;
  }
  return i == s.entries.size();
}

// A member's answer as a source of entries; false (with `error`) when it is
// not one. The whole page is checked first: a member may answer anything.
bool read_page(const MemberPage& p, Source& s, std::string& error, bool& partial) {
  const Answer& a = *p.answer;
  if (a.status == 0) return error = a.error, false;
  const std::string status = "HTTP " + std::to_string(a.status);
  s.text = simdjson::padded_string(a.body);
  thread_local simdjson::dom::parser checker;
  simdjson::dom::object body;
  if (checker.parse(s.text).get(body)) return error = status + ": not JSON", false;
  std::string_view text;
  if (a.status != 200)
    return error = status + (body["error"].get(text) ? "" : ": " + std::string(text)), false;
  simdjson::dom::array entries;
  if (body["entries"].get(entries)) return error = "no entries in the answer", false;
  for (simdjson::dom::element e : entries) {
    if (!e.is_object()) return error = status + ": an entry is not an object", false;
    Source::Item item;
    if (e["timestampUs"].get(item.timestamp)) item.timestamp = 0;
    if (!e["id"].get(text)) item.id = text;
    s.entries.push_back(std::move(item));
  }
  if (!entry_texts(s)) return error = status + ": not JSON", false;
  if (!body["next"].get(text)) s.has_more = true, s.member_next = text;
  if (bool member_partial = false; !body["partial"].get(member_partial) && member_partial) {
    partial = true;
    if (!body["error"].get(text)) error = text;
  }
  return true;
}

// The entry's text with its hub id: its member wrote the id first, as a
// worker does; any other text is rewritten through a tree.
std::string with_member_id(const Source::Item& e, const std::string& member) {
  constexpr std::string_view kStart = R"({"id":")";
  if (e.json.starts_with(kStart) && e.json.substr(kStart.size()).starts_with(e.id) &&
      e.json.substr(kStart.size() + e.id.size()).starts_with('"'))
    return std::string(kStart) + member + "~" + std::string(e.json.substr(kStart.size()));
  Json tree;
  parse_json(e.json, tree);
  for (auto& [key, value] : tree.fields_mut())
    if (key == "id" && value.is_string()) value = Json(hub_id(member, value.str()));
  return tree.dump();
}

// Takes up to `limit` entries, newest first over every source.
Json::Array take_newest(std::vector<Source>& sources, size_t limit) {
  Json::Array out;
  while (out.size() < limit) {
    Source* best = nullptr;
    for (Source& s : sources)
      if (s.taken < s.entries.size() &&
          (!best || s.entries[s.taken].timestamp > best->entries[best->taken].timestamp))
        best = &s;
    if (!best) break;
    const Source::Item& e = best->entries[best->taken++];
    if (!e.id.empty()) best->last_id = e.id;
    if (std::string m, rest; split_hub_id(e.id, m, rest)) best->last_of_member[m] = rest;
    out.push_back(Json::raw(with_member_id(e, best->member->name)));
  }
  return out;
}

// Where a member hub's next page starts when part of its page was taken: its
// cursor as we last gave it, with each of its members moved past what was taken.
std::string member_hub_position(const Cursor& from, const std::string& member,
                                const std::map<std::string, std::string>& last_of_member) {
  Cursor c;
  auto it = from.before.find(member);
  if (it == from.before.end() || !Cursor::parse(it->second, c)) c = {};
  for (const auto& [m, id] : last_of_member) c.before[m] = id;
  return c.text();
}

}  // namespace

Json merge_pages(const std::vector<MemberPage>& pages, const Cursor& from, size_t limit) {
  std::vector<Source> sources;
  Json missing = Json::array(), errors = Json::object();
  bool partial = false;
  Cursor next = from;
  for (const MemberPage& p : pages) {
    Source s;
    s.member = p.member;
    std::string error;
    bool member_partial = false;
    if (!read_page(p, s, error, member_partial)) {
      missing.push(p.member->name);
      errors.set(p.member->name, error);
      partial = true;
      continue;  // its place in the cursor stays
    }
    if (member_partial) partial = true, errors.set(p.member->name, error);
    sources.push_back(std::move(s));
  }
  Json::Array entries = take_newest(sources, limit);
  for (const Source& s : sources) {
    const std::string& m = s.member->name;
    if (s.taken < s.entries.size()) {
      if (!s.last_of_member.empty())
        next.before[m] = member_hub_position(from, m, s.last_of_member);
      else if (!s.last_id.empty())
        next.before[m] = s.last_id;
    } else if (s.has_more) {
      next.before[m] = s.member_next;
    } else {
      next.before.erase(m);
      next.done.push_back(m);
    }
  }
  Json out = Json::object();
  out.set("count", entries.size());
  out.set("entries", std::move(entries));
  bool more = std::any_of(pages.begin(), pages.end(),
                          [&](const MemberPage& p) { return !next.is_done(p.member->name); });
  if (more) out.set("next", next.text());
  if (partial) {
    out.set("partial", true);
    out.set("missing", std::move(missing));
    out.set("errors", std::move(errors));
  }
  return out;
}

}  // namespace trawl::hub
