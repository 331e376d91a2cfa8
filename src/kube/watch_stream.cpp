#include "kube/watch_stream.h"

#include <simdjson.h>

#include "kube/objects_json.h"

namespace trawl::kube {

namespace {

using Type = WatchEvent::Type;

bool event_type(std::string_view name, Type& type) {
  static constexpr std::pair<std::string_view, Type> kTypes[] = {
      {"ADDED", Type::kAdded},       {"MODIFIED", Type::kModified}, {"DELETED", Type::kDeleted},
      {"BOOKMARK", Type::kBookmark}, {"ERROR", Type::kError},
  };
  for (auto [n, t] : kTypes)
    if (n == name) return type = t, true;
  return false;
}

}  // namespace

bool parse_watch_event(std::string_view json, WatchEvent& out, std::string& error,
                       std::string* seen_at) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view type;
  if (parser.parse(json.data(), json.size()).get(e) || e["type"].get_string().get(type)) {
    error = "not a watch event";
    return false;
  }
  if (!event_type(type, out.type)) {
    error = "a watch event of unknown type \"" + std::string(type.substr(0, 32)) + "\"";
    return false;
  }
  simdjson::dom::element body;
  if (e["object"].get(body) || !body.is_object()) {
    error = "a watch event without an object";
    return false;
  }
  if (seen_at) {
    std::string_view at;
    *seen_at = e["seenAt"].get_string().get(at) ? std::string() : std::string(at);
  }
  out.resource_version.clear();
  if (out.type == Type::kError) {  // a Status
    int64_t code = 0;
    std::string_view message;
    if (body["code"].get_int64().get(code)) code = 0;
    if (body["message"].get_string().get(message)) message = {};
    out.error_code = int(code);
    out.error_message = std::string(message.substr(0, 512));
    return true;
  }
  std::string_view version;
  if (body["metadata"]["resourceVersion"].get_string().get(version)) version = {};
  out.resource_version = std::string(version);
  if (out.type == Type::kBookmark) return true;
  return parse_object(body, out.object, error);
}

void WatchStream::feed(std::string_view bytes) {
  if (start_ > 0 && start_ >= buffer_.size() / 2) {  // taken lines go before the buffer grows
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

bool WatchStream::next(WatchEvent& event, std::string& error) {
  while (true) {
    size_t from = start_ + scanned_;
    size_t nl = buffer_.find('\n', from);
    if (nl == std::string::npos) {
      scanned_ = buffer_.size() - start_;
      if (scanned_ > max_line_) {  // too long to keep: dropped, and its end looked for
        if (!skipping_) error = "a watch event longer than " + std::to_string(max_line_) + " bytes";
        bool report = !skipping_;
        skipping_ = true;
        buffer_.erase(start_);
        scanned_ = 0;
        if (report) return true;
      }
      return false;
    }
    std::string_view line(buffer_.data() + start_, nl - start_);
    start_ = nl + 1;
    scanned_ = 0;
    if (skipping_) {
      skipping_ = false;
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    error.clear();
    if (line.size() > max_line_) {
      error = "a watch event longer than " + std::to_string(max_line_) + " bytes";
      return true;
    }
    if (!parse_watch_event(line, event, error) && error.empty()) error = "not a watch event";
    return true;
  }
}

}  // namespace trawl::kube
