#include "kube/names_keeper.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <fstream>
#include <random>
#include <set>

#include "base/clock.h"
#include "kube/names_file.h"
#include "kube/watch_stream.h"

namespace trawl::kube {

namespace {

constexpr auto kPublishEvery = std::chrono::milliseconds(100);

// A name for this run's journal: a follower's position in another is not ours.
std::string new_journal_name() {
  std::random_device random;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", random(), random());
  return text;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

Json identity_json(const Identity& id) {
  Json out = Json::object();
  out.set("name", id.name);
  if (!id.namespace_().empty()) out.set("namespace", id.namespace_());
  out.set("kind", id.kind());
  if (!id.workload_kind().empty()) {
    Json w = Json::object();
    w.set("kind", id.workload_kind());
    w.set("name", id.workload_name());
    out.set("workload", std::move(w));
  }
  return out;
}

}  // namespace

NamesKeeper::NamesKeeper(std::shared_ptr<NameHistory> start, std::string history_path,
                         size_t max_history_bytes)
    : history_(start ? std::move(start) : std::make_shared<NameHistory>()),
      path_(std::move(history_path)),
      max_bytes_(max_history_bytes),
      journal_(new_journal_name()) {
  if (!path_.empty()) {
    for (const std::string& f : history_files()) lines_skipped_ += load_history_into(f, *history_);
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_) throw std::runtime_error(path_ + ": cannot be written");
    struct stat st;
    file_bytes_ = stat(path_.c_str(), &st) == 0 ? size_t(st.st_size) : 0;
  }
  feed_ = std::make_shared<NameFeed>(std::make_shared<AddressBook>(history_->book()));
  publisher_ = std::thread([this] { publish_loop(); });
}

NamesKeeper::~NamesKeeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  publisher_.join();
  if (file_) std::fclose(file_);
}

// Only what changes identity is kept and written: a pod's status updates
// that leave its address, labels and owners alone are not.
void NamesKeeper::record(const Object& o, bool deleted, const Object* held, int64_t at_us) {
  if (deleted && !held) return;
  Object trimmed = o;
  trim_for_identity(trimmed);
  if (!deleted && held && object_json(trimmed) == object_json(*held)) return;
  write_line(deleted ? "DELETED" : held ? "MODIFIED" : "ADDED", deleted ? *held : trimmed, at_us);
  dirty_ = true;
}

void NamesKeeper::apply(const Object& o, bool deleted, int64_t at_us) {
  std::lock_guard lock(mutex_);
  const Object* held = history_->find(NameHistory::key_of(kind_of(o), meta_of(o)));
  size_t written = lines_written_;
  record(o, deleted, held, at_us);
  if (lines_written_ != written) history_->apply(o, deleted, at_us);
}

void NamesKeeper::replace(std::string_view kind, const std::vector<Object>& objects,
                          int64_t at_us) {
  std::lock_guard lock(mutex_);
  std::set<std::string> listed;
  std::vector<Object> changed;
  for (const Object& o : objects) {
    std::string key = NameHistory::key_of(kind_of(o), meta_of(o));
    size_t written = lines_written_;
    record(o, false, history_->find(key), at_us);
    if (lines_written_ != written) changed.push_back(o);
    listed.insert(std::move(key));
  }
  for (const std::string& key : history_->keys_of(kind)) {
    if (listed.count(key)) continue;
    Object gone = *history_->find(key);
    record(gone, true, &gone, at_us);
    history_->apply(gone, true, at_us);
  }
  if (!changed.empty()) history_->apply_list(changed, at_us);
}

void NamesKeeper::write_line(const char* type, const Object& o, int64_t at_us) {
  ++lines_written_;
  if (!file_) return;
  // The events since the file began, beyond the snapshot that begins it.
  if (file_bytes_ - snapshot_bytes_ > max_bytes_) rotate(at_us);
  append(type, o, at_us);
}

static std::string history_line(const char* type, const Object& o, int64_t at_us) {
  return std::string("{\"type\":\"") + type + "\",\"object\":" + object_json(o) + ",\"seenAt\":\"" +
         format_rfc3339_us(at_us) + "\"}\n";
}

void NamesKeeper::append(const char* type, const Object& o, int64_t at_us) {
  std::string line = history_line(type, o, at_us);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) ++write_errors_;
  file_bytes_ += line.size();
}

// The history so far becomes the .1 file (the one before it is dropped); the
// new file starts with every object held now, so it names them alone.
void NamesKeeper::rotate(int64_t at_us) {
  std::fclose(file_);
  std::rename(path_.c_str(), (path_ + ".1").c_str());
  file_ = std::fopen(path_.c_str(), "a");
  file_bytes_ = snapshot_bytes_ = 0;
  journal_ = new_journal_name();
  if (!file_) return void(++write_errors_);
  std::string snapshot = snapshot_lines(at_us);
  if (std::fwrite(snapshot.data(), 1, snapshot.size(), file_) != snapshot.size()) ++write_errors_;
  file_bytes_ = snapshot_bytes_ = snapshot.size();
}

// Owners before what they own: a pod comes after its ReplicaSet and slices.
constexpr const char* kKindsInOrder[] = {"Namespace",     "Node",    "ReplicaSet", "Job",
                                         "EndpointSlice", "Service", "Pod"};

std::string NamesKeeper::snapshot_lines(int64_t at_us) const {
  std::string out;
  for (const char* kind : kKindsInOrder)
    for (const std::string& key : history_->keys_of(kind))
      out += history_line("ADDED", *history_->find(key), at_us);
  return out;
}

NamesKeeper::Changes NamesKeeper::changes_since(std::string_view position, size_t max_bytes) {
  std::lock_guard lock(mutex_);
  if (file_ && std::fflush(file_) != 0) ++write_errors_;
  Changes c;
  size_t colon = position.rfind(':');
  size_t offset = 0;
  bool ours =
      file_ && colon != std::string_view::npos && position.substr(0, colon) == journal_ &&
      std::from_chars(position.data() + colon + 1, position.data() + position.size(), offset).ec ==
          std::errc() &&
      offset <= file_bytes_;
  if (!ours) {
    c.snapshot = true;
    c.lines = snapshot_lines(wall_clock_us());
    c.next = journal_ + ":" + std::to_string(file_bytes_);
    return c;
  }
  std::ifstream in(path_, std::ios::binary);
  in.seekg(std::streamoff(offset));
  c.lines.resize(std::min(max_bytes, file_bytes_ - offset));
  in.read(c.lines.data(), std::streamsize(c.lines.size()));
  c.lines.resize(size_t(in.gcount()));
  c.lines.resize(c.lines.rfind('\n') + 1);  // whole lines only (npos + 1: none)
  c.next = journal_ + ":" + std::to_string(offset + c.lines.size());
  return c;
}

std::vector<Object> NamesKeeper::objects_of(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  std::vector<Object> out;
  for (const std::string& key : history_->keys_of(kind)) out.push_back(*history_->find(key));
  return out;
}

size_t NamesKeeper::apply_changes(const Changes& changes, int64_t now_us) {
  std::map<std::string, std::vector<Object>> listed;  // a snapshot's, by kind
  size_t bad = 0;
  std::string_view text = changes.lines;
  while (!text.empty()) {
    std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    WatchEvent e;
    std::string error, seen;
    int64_t at = 0;
    if (!parse_watch_event(line, e, error, &seen) || (at = parse_rfc3339_us(seen)) == 0 ||
        e.type == WatchEvent::Type::kBookmark || e.type == WatchEvent::Type::kError) {
      ++bad;
      continue;
    }
    if (changes.snapshot)
      listed[std::string(kind_of(e.object))].push_back(std::move(e.object));
    else
      apply(e.object, e.type == WatchEvent::Type::kDeleted, at);
  }
  if (changes.snapshot)
    for (const char* kind : kKindsInOrder) replace(kind, listed[kind], now_us);
  publish_now();
  return bad;
}

void NamesKeeper::publish_now() {
  std::unique_lock lock(mutex_);
  if (file_ && std::fflush(file_) != 0) ++write_errors_;
  if (!dirty_) return;
  dirty_ = false;
  ++publishes_;
  auto book = std::make_shared<AddressBook>(history_->book());
  lock.unlock();
  feed_->publish(std::move(book));
}

void NamesKeeper::publish_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kPublishEvery);
    lock.unlock();
    publish_now();
    lock.lock();
  }
}

void NamesKeeper::count(const std::string& resource,
                        const std::function<void(ResourceWatchStats&)>& fn) {
  std::lock_guard lock(mutex_);
  fn(watches_[resource]);
}

Json NamesKeeper::stats(int64_t now_us) const {
  std::lock_guard lock(mutex_);
  Json out = Json::object();
  out.set("addresses", history_->addresses());
  out.set("spans", history_->spans());
  out.set("history_lines_written", lines_written_);
  out.set("history_lines_skipped", lines_skipped_);
  out.set("history_write_errors", write_errors_);
  out.set("publishes", publishes_);
  Json resources = Json::object();
  for (const auto& [name, s] : watches_) {
    Json r = Json::object();
    r.set("lists", s.lists);
    r.set("relists", s.relists);
    r.set("watches", s.watches);
    r.set("events", s.events);
    r.set("bookmarks", s.bookmarks);
    r.set("expired", s.expired);
    r.set("malformed", s.malformed);
    r.set("errors", s.errors);
    r.set("synced", s.synced);
    if (s.last_event_us) r.set("last_event_age_s", double(now_us - s.last_event_us) / 1e6);
    if (!s.last_error.empty()) r.set("last_error", s.last_error);
    resources.set(name, std::move(r));
  }
  out.set("resources", std::move(resources));
  return out;
}

void NamesKeeper::render_metrics(std::string& out, int64_t now_us) const {
  std::lock_guard lock(mutex_);
  if (watches_.empty()) return;
  using Counter = uint64_t ResourceWatchStats::*;
  const std::pair<const char*, Counter> counters[] = {
      {"lists", &ResourceWatchStats::lists},     {"relists", &ResourceWatchStats::relists},
      {"watches", &ResourceWatchStats::watches}, {"events", &ResourceWatchStats::events},
      {"expired", &ResourceWatchStats::expired}, {"malformed", &ResourceWatchStats::malformed},
      {"errors", &ResourceWatchStats::errors}};
  for (const auto& [name, member] : counters) {
    out += std::string("# HELP trawl_kube_") + name +
           "_total Kubernetes API watch of each resource type: " + name + "\n";
    out += std::string("# TYPE trawl_kube_") + name + "_total counter\n";
    for (const auto& [resource, s] : watches_)
      out += std::string("trawl_kube_") + name + "_total{resource=\"" + resource + "\"} " +
             std::to_string(s.*member) + "\n";
  }
  out += "# HELP trawl_kube_last_event_age_seconds Seconds since the last event of each type\n";
  out += "# TYPE trawl_kube_last_event_age_seconds gauge\n";
  for (const auto& [resource, s] : watches_)
    if (s.last_event_us)
      out += "trawl_kube_last_event_age_seconds{resource=\"" + resource + "\"} " +
             std::to_string(double(now_us - s.last_event_us) / 1e6) + "\n";
}

std::vector<std::string> NamesKeeper::history_files() const {
  std::vector<std::string> out;
  for (const std::string& f : {path_ + ".1", path_})
    if (!path_.empty() && file_exists(f)) out.push_back(f);
  return out;
}

// From the book the entry stages read now, so it says how they name entries.
Json NamesKeeper::timeline(std::string_view address) const {
  std::shared_ptr<const AddressBook> book = feed_->current();
  Json out = Json::object();
  out.set("address", std::string(address));
  Json spans = Json::array();
  if (const AddressBook::Timeline* t = book->find(address))
    for (const AddressBook::Span& s : *t) {
      Json span = identity_json(*s.identity);
      span.set("from", s.from_us == INT64_MIN ? Json() : Json(format_rfc3339_us(s.from_us)));
      span.set("to", s.to_us == INT64_MAX ? Json() : Json(format_rfc3339_us(s.to_us)));
      spans.push(std::move(span));
    }
  out.set("spans", std::move(spans));
  return out;
}

}  // namespace trawl::kube
