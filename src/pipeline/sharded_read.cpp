#include "pipeline/sharded_read.h"

#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/wait_writable.h"
#include "capture/pcap_source.h"
#include "capture/readers_in_step.h"
#include "query/kfl.h"

namespace trawl {

namespace {

constexpr uint64_t kLast = std::numeric_limits<uint64_t>::max();
constexpr size_t kChunkBytes = 1 << 20;     // entries handed to the writer at once
constexpr uint64_t kProgressFrames = 4096;  // or after this many frames

// Where an entry goes in the output: the frame it completed on (the end of input
// after every frame), then its stream when flows were ended together (by time or
// at the end), which a single pipeline does in stream order.
struct Key {
  uint64_t frame = 0, minor = 0;
  auto operator<=>(const Key&) const = default;
};

struct Chunk {
  // Entries after their id, each ending in '\n'. An entry the filter did not
  // match has a mark and no text: it still takes its id.
  TextBuffer text;
  struct Mark {
    Key key;
    size_t end;
  };
  std::vector<Mark> marks;
  Key through;  // every later entry of this thread comes after it
};

// What one thread has handed over and the writer has not yet taken.
struct Lane {
  std::deque<std::unique_ptr<Chunk>> chunks;
  std::vector<std::unique_ptr<Chunk>> spare;  // written, for reuse (fresh memory faults in)
  size_t pending_bytes = 0;
  bool done = false;
};

struct Shared {
  Shared(size_t lanes, size_t max_pending) : lanes(lanes), max_pending(max_pending) {}
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Lane> lanes;
  const size_t max_pending;
  std::atomic<bool> stop{false};
};

class ShardSink : public EntrySink {
 public:
  // `filter`: this thread's own copy of the query (queries keep parsing state).
  ShardSink(Shared& shared, uint32_t lane, const kfl::Query* filter)
      : shared_(shared), lane_(lane), filter_(filter) {
    chunk_ = std::make_unique<Chunk>();
    chunk_->text.reserve(kChunkBytes + 64 * 1024);
  }
  void attach(const Pipeline& p) { pipeline_ = &p; }

  void emit(Entry&& e) override {
    // Flows ended together (by time, or at the end) go in stream order, before
    // what the frame itself completes; ICMP's "icmp:a-b" streams go last.
    Key key{pipeline_->finishing() ? kLast : pipeline_->frames(), kLast};
    if (pipeline_->ending_flows()) {
      uint64_t n;
      auto [end, ec] = std::from_chars(e.stream.data(), e.stream.data() + e.stream.size(), n);
      if (ec == std::errc() && end == e.stream.data() + e.stream.size()) key.minor = n;
    }
    if (!filter_ || filter_->matches(e)) {
      if (filter_ && filter_->redacts()) filter_->redact(e);
      write_entry_json_after_id(chunk_->text, e);
      chunk_->text += '\n';
    }
    chunk_->marks.push_back({key, chunk_->text.size()});
    // While flows close, entries come in stream order, so all of an earlier
    // stream is here: hand over a full chunk now rather than hold every one.
    if (key.frame == kLast && key.minor > 0 && key.minor != kLast &&
        chunk_->text.size() >= kChunkBytes)
      publish(Key{kLast, key.minor - 1});
  }

  // Between frames: everything up to the current frame has been emitted.
  void progress() {
    uint64_t frames = pipeline_->frames();
    if (chunk_->text.size() >= kChunkBytes || frames - last_publish_ >= kProgressFrames)
      publish(Key{frames, kLast});
  }
  // The same, now: this thread is about to wait for the others.
  void publish_progress() { publish(Key{pipeline_->frames(), kLast}); }
  void finish() {
    publish(Key{kLast, kLast});
    std::lock_guard lock(shared_.mutex);
    shared_.lanes[lane_].done = true;
    shared_.changed.notify_all();
  }

 private:
  void publish(Key through) {
    last_publish_ = pipeline_->frames();
    chunk_->through = through;
    size_t size = chunk_->text.capacity();
    std::unique_lock lock(shared_.mutex);
    Lane& lane = shared_.lanes[lane_];
    // Bounded memory: a thread far ahead of the others waits for the writer.
    shared_.changed.wait(
        lock, [&] { return lane.pending_bytes < shared_.max_pending || shared_.stop.load(); });
    lane.pending_bytes += size;
    lane.chunks.push_back(std::move(chunk_));
    shared_.changed.notify_all();
    if (!lane.spare.empty()) {
      chunk_ = std::move(lane.spare.back());
      lane.spare.pop_back();
      return;
    }
    lock.unlock();
    chunk_ = std::make_unique<Chunk>();
    chunk_->text.reserve(kChunkBytes + 64 * 1024);
  }

  Shared& shared_;
  uint32_t lane_;
  const kfl::Query* filter_;
  const Pipeline* pipeline_ = nullptr;
  std::unique_ptr<Chunk> chunk_;
  uint64_t last_publish_ = 0;
};

// Merges the lanes and writes each entry as `{"id":"N",` and its text, with
// writev straight from the threads' chunks.
class Writer {
 public:
  Writer(Shared& shared, int fd) : shared_(shared), fd_(fd), cursors_(shared.lanes.size()) {}

  void run() {
    for (;;) {
      // The lane whose next entry comes first, once every other lane has
      // either an entry or a promise of nothing earlier.
      int best = -1;
      bool wait = false;
      for (size_t i = 0; i < cursors_.size(); ++i) {
        Cursor& c = cursors_[i];
        if (!has_entry(i) && !c.done) wait = true;
        if (has_entry(i) && (best < 0 || key_of(i) < key_of(size_t(best)))) best = int(i);
      }
      if (best < 0 && !wait) break;  // every lane is done
      if (best >= 0) {
        Key k = key_of(size_t(best));
        bool blocked = false;
        for (size_t i = 0; i < cursors_.size(); ++i) {
          const Cursor& c = cursors_[i];
          if (int(i) == best || c.done || has_entry(i)) continue;
          if (!(k <= c.through)) blocked = true;  // lane i may still send something earlier
        }
        if (!blocked) {
          write_next(size_t(best));
          continue;
        }
      }
      refill();
      if (failed_) return;
    }
    flush();
  }

  uint64_t entries() const { return entries_; }
  uint64_t bytes() const { return bytes_; }
  const std::string& error() const { return error_; }

 private:
  struct Cursor {
    std::unique_ptr<Chunk> chunk;
    size_t next = 0;
    Key through{0, 0};
    bool done = false;
  };

  Key key_of(size_t i) const { return cursors_[i].chunk->marks[cursors_[i].next].key; }
  bool has_entry(size_t i) const {
    const Cursor& c = cursors_[i];
    return c.chunk && c.next < c.chunk->marks.size();
  }

  // Takes the next chunk of every lane that has run dry, waiting when none came.
  void refill() {
    flush();  // the chunks a lane hands back must not be in an unwritten iovec
    std::unique_lock lock(shared_.mutex);
    for (;;) {
      bool took = false;
      for (size_t i = 0; i < cursors_.size(); ++i) {
        Cursor& c = cursors_[i];
        Lane& lane = shared_.lanes[i];
        if (c.done || has_entry(i)) continue;
        if (c.chunk) {
          lane.pending_bytes -= c.chunk->text.capacity();
          c.chunk->text.clear();
          c.chunk->marks.clear();
          lane.spare.push_back(std::move(c.chunk));
          shared_.changed.notify_all();
        }
        if (!lane.chunks.empty()) {
          c.chunk = std::move(lane.chunks.front());
          lane.chunks.pop_front();
          c.next = 0;
          c.through = c.chunk->through;
          took = true;
        } else if (lane.done) {
          c.done = true;
          took = true;
        }
      }
      if (took) return;
      shared_.changed.wait(lock);
    }
  }

  void write_next(size_t lane) {
    Cursor& c = cursors_[lane];
    size_t begin = c.next == 0 ? 0 : c.chunk->marks[c.next - 1].end;
    size_t end = c.chunk->marks[c.next].end;
    ++c.next;
    ++numbered_;
    if (begin == end) return;  // not matched by the filter
    ++entries_;
    char head[32] = "{\"id\":\"";
    char* q = format_json_number(head + 7, int64_t(numbered_));
    *q++ = '"';
    *q++ = ',';
    size_t head_size = size_t(q - head);
    bytes_ += head_size + (end - begin);
    if (fd_ < 0) return;
    if (iov_count_ + 2 > kIov) flush();
    char* id = heads_ + id_used_;
    std::memcpy(id, head, head_size);
    id_used_ += head_size;
    iov_[iov_count_++] = {id, head_size};
    iov_[iov_count_++] = {c.chunk->text.data() + begin, end - begin};
  }

  void flush() {
    id_used_ = 0;
    size_t first = 0;
    while (first < iov_count_ && !failed_) {
      ssize_t n = ::writev(fd_, iov_ + first, int(iov_count_ - first));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          wait_writable(fd_);
          continue;
        }
        error_ = std::strerror(errno);
        failed_ = true;
        shared_.stop = true;
        shared_.changed.notify_all();
        break;
      }
      // Skip what was written; a partial write leaves the rest of one iovec.
      size_t left = size_t(n);
      while (first < iov_count_ && left >= iov_[first].iov_len) left -= iov_[first++].iov_len;
      if (left > 0) {
        iov_[first].iov_base = static_cast<char*>(iov_[first].iov_base) + left;
        iov_[first].iov_len -= left;
      }
    }
    iov_count_ = 0;
  }

  static constexpr size_t kIov = 1024;
  Shared& shared_;
  int fd_;
  std::vector<Cursor> cursors_;
  iovec iov_[kIov];
  char heads_[kIov / 2 * 32];  // the `{"id":"N",` of each entry in iov_
  size_t iov_count_ = 0, id_used_ = 0;
  uint64_t numbered_ = 0, entries_ = 0, bytes_ = 0;  // entries numbered, written, their bytes
  bool failed_ = false;
  std::string error_;
};

}  // namespace

Json merge_shard_stats(const std::vector<Json>& shards) {
  Json all;
  for (const Json& s : shards) Pipeline::add_stats(all, s);
  if (shards.size() < 2) return all;
  // Every thread decoded every frame and reassembled every fragment: those
  // counters are each thread's, not a share to add up.
  for (auto& [group, fields] : all.fields_mut()) {
    const Json* first = shards[0].find(group);
    for (auto& [name, value] : fields.fields_mut())
      if (group == "capture" || name.starts_with("fragments_")) value = *first->find(name);
  }
  return all;
}

ShardedReadResult sharded_read(const std::string& path, uint32_t threads,
                               const PipelineSettings& settings, std::FILE* out,
                               std::string_view filter, const ShardedReadLimits& limits) {
  ReadersInStep pace(threads, limits.ahead_bytes);
  // Each thread reads the whole file (its own copy of each chunk costs less
  // than sharing a mapping); all opened here, so that a bad capture is an
  // error before any thread starts.
  std::vector<std::unique_ptr<PcapSource>> sources;
  for (uint32_t i = 0; i < threads; ++i) sources.push_back(std::make_unique<PcapSource>(path));
  Decoder::check_link_type(sources[0]->link_type());

  Shared shared(threads, limits.pending_bytes);
  std::vector<Json> stats(threads);
  std::vector<std::thread> workers;
  // A flow idle this long has ended in its pipeline; its key may be given out again.
  const FlowLimits& flows = settings.flows;
  int64_t forget_after = flows.tcp_timeout_us + flows.closed_linger_us + 60'000'000;
  for (uint32_t i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      pthread_setname_np(pthread_self(), ("trawl-read" + std::to_string(i)).c_str());
      FlowSharder sharder(threads, forget_after);
      kfl::CompileError error;
      std::optional<kfl::Query> query = kfl::Query::compile(filter, error);
      ShardSink sink(shared, i, query && !query->matches_everything() ? &*query : nullptr);
      Pipeline pipeline(sink, settings);
      sink.attach(pipeline);
      pipeline.only_shard(&sharder, i);
      Frame frame;
      PcapSource& source = *sources[i];
      size_t report_at = 0;
      while (!shared.stop.load(std::memory_order_relaxed) && source.next(frame)) {
        pipeline.add(frame);
        sink.progress();
        if (source.offset() >= report_at) {
          pace.reached(i, source.offset(), [&] { sink.publish_progress(); });
          report_at = source.offset() + ReadersInStep::kReportEvery;
        }
      }
      pace.reached(i, SIZE_MAX);
      pipeline.finish();
      sink.finish();
      stats[i] = pipeline.stats();
    });
  }
  int fd = -1;
  if (out) {
    std::fflush(out);
    fd = fileno(out);
  }
  Writer writer(shared, fd);
  writer.run();
  for (auto& w : workers) w.join();

  ShardedReadResult r;
  r.entries = writer.entries();
  r.bytes = writer.bytes();
  r.output_error = writer.error();
  r.input_error = sources[0]->error();
  r.reader_waits = pace.waits();
  r.stats = merge_shard_stats(stats);
  return r;
}

}  // namespace trawl
