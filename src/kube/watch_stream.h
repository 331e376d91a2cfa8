// A watch response's body (its HTTP chunking undone) as WatchEvents. The API
// server writes each event as one line of compact JSON (Go's json.Encoder), so
// a line is an event: one that is broken, or longer than the limit, costs that
// line alone and the stream goes on at the next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kube/objects.h"

namespace trawl::kube {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  Object object;                 // kAdded, kModified, kDeleted
  std::string resource_version;  // the object's, or the bookmark's
  int error_code = 0;            // kError: the Status's code (410: the version is gone)
  std::string error_message;     // kError
};

// One event from its JSON text. False, with `error`, when it is not one.
// `seen_at`, when given, gets the line's "seenAt" (a name history's lines carry it).
bool parse_watch_event(std::string_view json, WatchEvent& out, std::string& error,
                       std::string* seen_at = nullptr);

class WatchStream {
 public:
  explicit WatchStream(size_t max_line = 16 << 20) : max_line_(max_line) {}

  // Adds bytes of the body.
  void feed(std::string_view bytes);
  // The next whole line's event: true with `event` set, or true with `error`
  // set (the line was not an event; it is skipped), or false when no whole
  // line is held.
  bool next(WatchEvent& event, std::string& error);
  // Bytes held that are not yet a whole line.
  size_t held() const { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  size_t start_ = 0;       // of the first line not yet taken
  size_t scanned_ = 0;     // bytes from start_ known to hold no newline
  bool skipping_ = false;  // inside a line too long to keep
  const size_t max_line_;
};

}  // namespace trawl::kube
