// Live names: the history the cluster's watches feed, saved as it grows (a
// name history file, which `--names` reads and a restarted worker reloads) and
// published to the entry stages as a new address book when it changes.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "entries/json.h"
#include "kube/identity.h"
#include "kube/name_feed.h"

namespace trawl::kube {

// What the watch of one resource type has done (the API client counts it here).
struct ResourceWatchStats {
  uint64_t lists = 0;      // whole lists (a relist too)
  uint64_t relists = 0;    // lists after the first: 410 Gone, a malformed event, an error
  uint64_t watches = 0;    // watch requests opened
  uint64_t events = 0;     // ADDED, MODIFIED, DELETED received
  uint64_t bookmarks = 0;  // BOOKMARKs received
  uint64_t expired = 0;    // 410 Gone: the version resumed from was compacted
  uint64_t malformed = 0;  // events that could not be read
  uint64_t errors = 0;     // failed requests, broken or idle connections
  int64_t last_event_us = 0;
  bool synced = false;  // listed and watching; false while it retries
  std::string last_error;
};

class NamesKeeper {
 public:
  // Starts from `start` (a --names file's history, or empty) and then what
  // `history_path` holds (none: kept in memory only); a file whose events
  // pass `max_history_bytes` is moved to `history_path`.1 and begun again.
  NamesKeeper(std::shared_ptr<NameHistory> start, std::string history_path,
              size_t max_history_bytes = 32 << 20);
  ~NamesKeeper();
  NamesKeeper(const NamesKeeper&) = delete;
  NamesKeeper& operator=(const NamesKeeper&) = delete;

  std::shared_ptr<const NameFeed> feed() const { return feed_; }
  // An object seen at `at_us` (added, changed; `deleted`: gone).
  void apply(const Object& o, bool deleted, int64_t at_us);
  // A whole list of `kind` as at `at_us`: what it holds now; the objects of
  // that kind it no longer holds are gone.
  void replace(std::string_view kind, const std::vector<Object>& objects, int64_t at_us);
  // Publishes what changed now, not at the next tick.
  void publish_now();

  void count(const std::string& resource, const std::function<void(ResourceWatchStats&)>& fn);
  Json stats(int64_t now_us) const;
  void render_metrics(std::string& out, int64_t now_us) const;
  // The saved history (the rotated file first), as `--names` reads it.
  std::vector<std::string> history_files() const;
  // An address's owners over time as the entry stages see them now:
  // {"address", "spans": [{from, to, name, ...}]}.
  Json timeline(std::string_view address) const;

  // What a follower (a worker taking its names from the hub) asks for: the
  // history's lines after `position` (one this returned before), at most
  // about `max_bytes`; or, for a position of another journal (none yet, this
  // keeper restarted, the file rotated), every object held now as ADDED lines
  // (`snapshot`: objects it does not list are gone).
  struct Changes {
    std::string lines;
    std::string next;  // the position after them
    bool snapshot = false;
  };
  Changes changes_since(std::string_view position, size_t max_bytes = 4 << 20);
  // The objects of `kind` held now (copies).
  std::vector<Object> objects_of(std::string_view kind) const;
  // A follower's side: lines from changes_since applied (a snapshot as a
  // whole list of every kind) and published. Returns the lines that were not
  // history events.
  size_t apply_changes(const Changes& changes, int64_t now_us);

 private:
  void record(const Object& o, bool deleted, const Object* held, int64_t at_us);
  void write_line(const char* type, const Object& o, int64_t at_us);
  void append(const char* type, const Object& o, int64_t at_us);
  void rotate(int64_t at_us);
  std::string snapshot_lines(int64_t at_us) const;
  void publish_loop();

  mutable std::mutex mutex_;
  std::shared_ptr<NameHistory> history_;
  std::shared_ptr<NameFeed> feed_;
  const std::string path_;
  const size_t max_bytes_;
  std::FILE* file_ = nullptr;
  size_t file_bytes_ = 0;
  size_t snapshot_bytes_ = 0;  // what the file began with: the objects held then
  std::string journal_;        // names this file's lines for followers; new when it rotates
  uint64_t lines_written_ = 0, write_errors_ = 0, lines_skipped_ = 0, publishes_ = 0;
  bool dirty_ = false;
  std::map<std::string, ResourceWatchStats> watches_;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread publisher_;
};

}  // namespace trawl::kube
