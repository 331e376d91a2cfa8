#include "kube/names_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "kube/objects_json.h"
#include "kube/watch_stream.h"

namespace trawl::kube {

namespace {

// A List's items (a typed list's items have no kind: its own, less "List").
void apply_list(simdjson::dom::element list, int64_t at_us, NameHistory& h,
                const std::string& path) {
  std::string_view list_kind;
  if (list["kind"].get_string().get(list_kind)) list_kind = {};
  std::string item_kind;
  if (list_kind.ends_with("List") && list_kind != "List")
    item_kind = std::string(list_kind.substr(0, list_kind.size() - 4));
  simdjson::dom::array items;
  if (list["items"].get_array().get(items))
    throw std::runtime_error(path + ": a list without items");
  size_t index = 0;
  std::vector<Object> objects;
  for (simdjson::dom::element item : items) {
    Object o;
    std::string error;
    if (!parse_object(item, o, error, item_kind))
      throw std::runtime_error(path + ": item " + std::to_string(index) + ": " + error);
    objects.push_back(std::move(o));
    ++index;
  }
  h.apply_list(objects, at_us);
}

// `skipped`: when given, a line that is not a history event is counted there
// instead of failing the file (trawl's own history, maybe cut by a crash).
void apply_history(std::string_view text, NameHistory& h, const std::string& path,
                   size_t* skipped = nullptr) {
  size_t number = 0;
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto fail = [&](const std::string& why) {
      if (skipped) return void(++*skipped);
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + why);
    };
    WatchEvent e;
    std::string error, seen;
    if (!parse_watch_event(line, e, error, &seen)) {
      fail(error);
      continue;
    }
    using Type = WatchEvent::Type;
    if (e.type != Type::kAdded && e.type != Type::kModified && e.type != Type::kDeleted) {
      fail("a name history holds ADDED, MODIFIED and DELETED events");
      continue;
    }
    int64_t at = parse_rfc3339_us(seen);
    if (at == 0) {
      fail(seen.empty() ? "no seenAt" : "seenAt is not an RFC 3339 time");
      continue;
    }
    h.apply(e.object, e.type == Type::kDeleted, at);
  }
}

// A history's lines are events; anything else is one JSON document, a list.
bool is_history(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return true;
  size_t end = std::min(text.find('\n', start), text.size());
  WatchEvent e;
  std::string error;
  return parse_watch_event(text.substr(start, end - start), e, error) ||
         error != "not a watch event";
}

}  // namespace

namespace {

std::string whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

size_t load_history_into(const std::string& path, NameHistory& history) {
  size_t skipped = 0;
  apply_history(whole_file(path), history, path, &skipped);
  return skipped;
}

std::shared_ptr<NameHistory> load_names(const std::string& path) {
  std::string text = whole_file(path);
  auto history = std::make_shared<NameHistory>();
  if (is_history(text)) {
    apply_history(text, *history, path);
    return history;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element whole;
  if (parser.parse(text).get(whole) || !whole.is_object())
    throw std::runtime_error(path + ": neither a list of objects nor a name history");
  struct stat st;
  int64_t written_us = stat(path.c_str(), &st) == 0 ? int64_t(st.st_mtime) * 1000000 : 0;
  apply_list(whole, written_us, *history, path);
  return history;
}

}  // namespace trawl::kube
