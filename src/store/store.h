// The worker's entry store: an append-only log of zstd-compressed blocks in
// segment files under a data directory, with an in-memory index of the blocks
// (ids, time range, protocols) rebuilt from the block headers at open.
//
// Durability: commit() writes the pending block and syncs it; every entry up
// to durable_id() then survives a crash, unless counted lost (a full disk).
// Recovery at open cuts only a torn tail (the last, incomplete write of the
// segment being written). A damaged block anywhere else is skipped and counted,
// and indexing resumes at the next valid block header: what follows is kept.
// A block whose checksum fails is never served.
// Ids: increasing, never reused. Blocks may leave gaps between ids (entries
// lost to a full disk, ids handed out before a crash); ids are leased ahead in
// a small file, so ids served before a crash are never given to other entries.
// Retention: the oldest segments go when the store is over its size budget or
// their entries are older than the age limit; the segment being written never does.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/cancellation.h"
#include "base/counters.h"
#include "entries/entry.h"
#include "sinks/output.h"

namespace trawl {

struct StoreSettings {
  std::string dir;
  uint64_t max_bytes = 2ull << 30;                    // size budget on disk
  int64_t max_age_us = int64_t(7) * 86400 * 1000000;  // entries older than this go
  uint64_t segment_bytes = 64u << 20;                 // a segment is closed at this size
  size_t block_bytes = 1u << 20;                      // entry bytes per block before a commit
  int zstd_level = 1;
  // For batches found waiting at high entry rates (the committer woken by the
  // backlog, not its interval): fast on text that barely compresses (base64,
  // random), where level 1 takes a core per GB/s. The capture must not wait on
  // compression; the price is a lower ratio.
  int zstd_behind_level = -1;
  bool sync = true;  // fdatasync each commit (tests of retention may skip it)
  // Wall clock for the age limit, in microseconds (tests set their own).
  std::function<int64_t()> now_us;
};

// The store's figures in /api/stats ("store") and /metrics; a metric name
// without `_total` is a gauge.
#define TRAWL_STORE_COUNTERS(X)                                                       \
  X(entries, "store", "entries", "trawl_store_entries", "Entries in the store.")      \
  X(bytes, "store", "bytes", "trawl_store_bytes", "Bytes of the store on disk.")      \
  X(segments, "store", "segments", "", "Segment files.")                              \
  X(blocks, "store", "blocks", "", "Blocks committed.")                               \
  X(first_id, "store", "first_id", "", "The oldest entry kept.")                      \
  X(last_id, "store", "last_id", "", "The newest entry.")                             \
  X(durable_id, "store", "durable_id", "", "The newest entry on disk.")               \
  X(corrupt_blocks, "store", "corrupt_blocks", "trawl_store_corrupt_blocks_total",    \
    "Blocks that failed their checksum when read (never served).")                    \
  X(truncated_bytes, "store", "truncated_bytes", "", "A torn tail cut at open.")      \
  X(damaged_regions, "store", "damaged_regions", "trawl_store_damaged_regions_total", \
    "Unreadable stretches of segments skipped at open (the rest was kept).")          \
  X(damaged_bytes, "store", "damaged_bytes", "", "Their bytes.")                      \
  X(failed_commits, "store", "failed_commits", "trawl_store_failed_commits_total",    \
    "Commits that failed (a full or failing disk).")                                  \
  X(segments_expired, "store", "segments_expired", "", "Segments removed by age.")    \
  X(segments_evicted, "store", "segments_evicted", "", "Segments removed by size.")   \
  X(entries_lost, "store", "entries_lost", "trawl_store_entries_lost_total",          \
    "Entries the store could not write (a full or failing disk).")                    \
  X(fast_blocks, "store", "fast_blocks", "", "Blocks compressed fast: commits had fallen behind.")

struct StoreStats {
  TRAWL_STORE_COUNTERS(TRAWL_COUNTER_MEMBER)
  std::vector<std::string> stray_files;  // in the directory, not the store's: skipped
  std::string last_error;                // of a background commit
};
TRAWL_COUNTER_FIELDS(StoreStats, TRAWL_STORE_COUNTERS)

// Which entries a scan visits; ids and times are inclusive bounds.
struct StoreRange {
  uint64_t min_id = 0, max_id = UINT64_MAX;
  int64_t min_us = INT64_MIN, max_us = INT64_MAX;
  uint32_t protocols = UINT32_MAX;  // protocol_bit() of the names wanted
};

// How a scan may be stopped, and what it did. Both are looked at before every
// record (a costly query may take milliseconds on one).
struct ScanControl {
  int64_t deadline_ns = INT64_MAX;  // monotonic_coarse_ns(): the scan stops there
  const std::atomic<bool>* cancelled = nullptr;
  uint64_t scanned = 0;  // out: records read in the blocks the index could not skip
  bool stopped = false;  // out: the deadline or the cancellation ended the scan
  // out, when stopped: every wanted id at or above this one was visited.
  uint64_t resume_below = 0;
};

// The bit of a protocol name in a block's protocol set.
uint32_t protocol_bit(std::string_view name);

class Store : public EntryOutput {
 public:
  // Opens or creates the store; throws std::runtime_error saying what failed.
  explicit Store(StoreSettings settings);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Gives the entry the next id, keeps it (pending until a commit), returns the id.
  // A full pending block is committed first.
  uint64_t append(Entry& entry);
  void write(Entry& entry) override { append(entry); }
  // Writes and syncs every full block and the pending one. Throws when the
  // disk fails (those entries are counted as lost).
  void commit();
  // From now on a thread of the store commits full blocks as they fill and
  // everything at least every `interval`; append() never writes then.
  void commit_every(std::chrono::milliseconds interval);
  uint64_t durable_id() const;

  std::optional<Entry> get(uint64_t id) const;
  // Newest first; `visit` returns false to stop. Returns the entries visited.
  uint64_t scan(const StoreRange& range, const std::function<bool(Entry&)>& visit,
                ScanControl* control = nullptr) const;
  StoreStats stats() const;

 private:
  struct Segment;
  struct Block;
  struct Pending;

  void open_segments();
  void index_segment(const std::shared_ptr<Segment>& seg, bool last);
  void check_tail(size_t first_block, uint64_t& end);
  void open_lease();
  void write_lease_locked(uint64_t end);
  void start_segment(uint64_t first_id);
  bool seal_locked();
  std::unique_ptr<Pending> new_pending_locked();
  void enforce_retention_locked();
  void drop_oldest_locked(bool expired);
  static bool load_block(const Block& b, std::string& raw);
  bool read_block(const Block& b, std::string& raw) const;  // counts the blocks that fail

  StoreSettings settings_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Segment>> segments_;  // oldest first; the last is written
  std::vector<Block> blocks_;                       // oldest first
  std::unique_ptr<Pending> pending_;                // being appended to
  std::deque<std::shared_ptr<Pending>> sealed_;     // full, waiting for a commit (oldest first)
  // Buffers of committed blocks, reused: a fresh megabyte per block costs page faults.
  std::vector<std::string> spare_raw_;
  std::mutex commit_mutex_;  // one commit at a time
  std::string compressed_;   // a block being written (commit only)
  bool background_ = false, stop_ = false;
  std::condition_variable wake_;     // the committer: blocks are waiting
  std::condition_variable written_;  // appenders: the committer made room
  std::thread committer_;
  uint64_t lost_entries_ = 0;
  uint64_t fast_blocks_ = 0;
  mutable std::mutex error_mutex_;
  std::string last_error_;
  uint64_t next_id_ = 1;
  uint64_t last_id_ = 0;  // of the newest entry, stored or pending
  uint64_t durable_id_ = 0;
  int lease_fd_ = -1;
  uint64_t lease_end_ = 0;  // ids below it may have been handed out
  int lease_slot_ = 0;
  uint64_t lease_seq_ = 0;
  uint64_t failed_commits_ = 0;
  uint64_t damaged_regions_ = 0, damaged_bytes_ = 0;
  std::vector<std::string> stray_files_;
  uint64_t bytes_ = 0;
  mutable uint64_t corrupt_blocks_ = 0;
  uint64_t truncated_bytes_ = 0;
  uint64_t expired_ = 0, evicted_ = 0;
  void* cctx_ = nullptr;  // ZSTD_CCtx
};

}  // namespace trawl
