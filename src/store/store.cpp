#include "store/store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "base/clock.h"
#include "store/entry_record.h"

namespace trawl {

namespace {

// "TRW2": the payload is a zstd frame without its own checksum, then the CRC-32
// of that frame. "TRW1" blocks (the frame checksummed by zstd, over the raw
// records: about half the compression time of repetitive text) are still read.
constexpr uint32_t kMagic = 0x32575254, kMagicV1 = 0x31575254;
constexpr size_t kHeader = 48;
constexpr uint32_t kMaxPayload = 256u << 20;
constexpr size_t kBlocksPerWake = 8;  // full blocks that wake the committer before its interval
constexpr size_t kMaxSealed = 64;     // full blocks waiting to be written, at most

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

struct BlockHeader {
  uint32_t payload_len = 0, raw_len = 0, count = 0, mask = 0;
  bool payload_crc = true;  // false in TRW1 blocks
  uint64_t first_id = 0;
  int64_t min_us = 0, max_us = 0;

  void write(uint8_t* h) const {
    uint32_t magic = kMagic;
    std::memcpy(h, &magic, 4);
    std::memcpy(h + 8, &payload_len, 4);
    std::memcpy(h + 12, &raw_len, 4);
    std::memcpy(h + 16, &count, 4);
    std::memcpy(h + 20, &mask, 4);
    std::memcpy(h + 24, &first_id, 8);
    std::memcpy(h + 32, &min_us, 8);
    std::memcpy(h + 40, &max_us, 8);
    uint32_t crc = uint32_t(crc32(0, h + 8, kHeader - 8));
    std::memcpy(h + 4, &crc, 4);
  }
  bool read(const uint8_t* h) {
    uint32_t magic, crc;
    std::memcpy(&magic, h, 4);
    std::memcpy(&crc, h + 4, 4);
    if ((magic != kMagic && magic != kMagicV1) || crc != uint32_t(crc32(0, h + 8, kHeader - 8)))
      return false;
    payload_crc = magic == kMagic;
    std::memcpy(&payload_len, h + 8, 4);
    std::memcpy(&raw_len, h + 12, 4);
    std::memcpy(&count, h + 16, 4);
    std::memcpy(&mask, h + 20, 4);
    std::memcpy(&first_id, h + 24, 8);
    std::memcpy(&min_us, h + 32, 8);
    std::memcpy(&max_us, h + 40, 8);
    return payload_len <= kMaxPayload && raw_len <= kMaxPayload && count > 0 &&
           (!payload_crc || payload_len >= 4);
  }
};

bool read_all(int fd, void* out, size_t n, uint64_t offset) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    ssize_t r = pread(fd, p, n, off_t(offset));
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= size_t(r);
    offset += uint64_t(r);
  }
  return true;
}

bool write_all(int fd, const void* data, size_t n, uint64_t offset) {
  auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off_t(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
  return true;
}

std::string segment_name(uint64_t first_id) {
  char name[40];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first_id));
  return name;
}

// The records of a block's raw bytes, in id order.
std::vector<Bytes> split_records(const std::string& raw) {
  std::vector<Bytes> out;
  Bytes rest(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), record;
  while (next_entry_record(rest, record)) out.push_back(record);
  return out;
}

}  // namespace

uint32_t protocol_bit(std::string_view name) {
  int i = protocol_index(name);
  return i < 0 ? 1u << 31 : 1u << i;  // the last bit: any other
}

struct Store::Segment {
  std::string path;
  int fd = -1;
  uint64_t first_id = 0;
  uint64_t size = 0;
  int64_t max_us = INT64_MIN;
  ~Segment() {
    if (fd >= 0) close(fd);
  }
};

struct Store::Block {
  std::shared_ptr<Segment> segment;  // keeps the file open for readers after retention
  uint64_t offset = 0;
  BlockHeader header;
};

// A block's entry records, read and decompressed; false when it fails its checksum.
bool Store::load_block(const Block& b, std::string& raw) {
  std::string payload(b.header.payload_len, '\0');
  raw.resize(b.header.raw_len);
  if (!read_all(b.segment->fd, payload.data(), payload.size(), b.offset + kHeader)) return false;
  size_t frame = payload.size();
  if (b.header.payload_crc) {
    frame -= 4;
    uint32_t crc;
    std::memcpy(&crc, payload.data() + frame, 4);
    if (crc != uint32_t(crc32(0, reinterpret_cast<const Bytef*>(payload.data()), uInt(frame))))
      return false;
  }
  size_t n = ZSTD_decompress(raw.data(), raw.size(), payload.data(), frame);
  return !ZSTD_isError(n) && n == raw.size();
}

struct Store::Pending {
  std::string raw;
  uint32_t count = 0, mask = 0;
  uint64_t first_id = 0;
  int64_t min_us = INT64_MAX, max_us = INT64_MIN;
};

Store::Store(StoreSettings settings) : settings_(std::move(settings)) {
  if (!settings_.now_us) settings_.now_us = wall_clock_us;
  // A segment never holds more than a quarter of the budget, so retention has
  // closed segments to drop before the one being written.
  settings_.segment_bytes =
      std::max<uint64_t>(1, std::min(settings_.segment_bytes, settings_.max_bytes / 4));
  std::error_code ec;
  std::filesystem::create_directories(settings_.dir, ec);
  if (ec) throw std::runtime_error("store: cannot create " + settings_.dir + ": " + ec.message());
  pending_ = new_pending_locked();
  auto* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, settings_.zstd_level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);  // the block has its own
  cctx_ = cctx;
  open_segments();
  std::lock_guard lock(mutex_);
  enforce_retention_locked();
}

Store::~Store() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  written_.notify_all();
  if (committer_.joinable()) committer_.join();
  try {
    commit();
  } catch (...) {
    // A failing disk at exit: what was committed stays committed.
  }
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

void Store::open_segments() {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(settings_.dir)) {
    std::string name = f.path().filename().string();
    if (name.size() == 24 && name.ends_with(".seg")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    auto seg = std::make_shared<Segment>();
    seg->path = settings_.dir + "/" + names[i];
    seg->first_id = std::stoull(names[i].substr(0, 20));
    bool last = i + 1 == names.size();
    seg->fd = open(seg->path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (seg->fd < 0) throw std::runtime_error(errno_text("store: open " + seg->path));
    index_segment(seg, last);
    segments_.push_back(seg);
  }
  if (!blocks_.empty()) {
    const BlockHeader& h = blocks_.back().header;
    next_id_ = h.first_id + h.count;
  } else if (!segments_.empty()) {
    next_id_ = segments_.back()->first_id;
  }
  durable_id_ = next_id_ - 1;
  if (segments_.empty()) start_segment(next_id_);
}

// Reads the block headers of a segment into the index. In the segment being
// written, the payloads of the last blocks are checked too (a crash can only
// have cut those) and the file is cut at the first incomplete one. Damage
// anywhere else is found when a block is read: it is skipped and counted.
void Store::index_segment(const std::shared_ptr<Segment>& seg, bool last) {
  constexpr size_t kTailBlocksChecked = 4;
  struct stat st {};
  if (fstat(seg->fd, &st) != 0) throw std::runtime_error(errno_text("store: stat " + seg->path));
  uint64_t file_size = uint64_t(st.st_size), offset = 0;
  uint64_t expected_id = blocks_.empty() ? seg->first_id : 0;
  size_t first_block = blocks_.size();
  while (offset + kHeader <= file_size) {
    uint8_t h[kHeader];
    BlockHeader header;
    if (!read_all(seg->fd, h, kHeader, offset) || !header.read(h)) break;
    if (offset + kHeader + header.payload_len > file_size) break;
    if (expected_id && header.first_id != expected_id) break;
    blocks_.push_back({seg, offset, header});
    expected_id = header.first_id + header.count;
    offset += kHeader + header.payload_len;
  }
  if (last) {
    std::string raw;
    size_t from = std::max(
        first_block, blocks_.size() - std::min(blocks_.size() - first_block, kTailBlocksChecked));
    for (size_t i = from; i < blocks_.size(); ++i) {
      if (load_block(blocks_[i], raw) && split_records(raw).size() == blocks_[i].header.count)
        continue;
      offset = blocks_[i].offset;
      blocks_.resize(i);
      break;
    }
  }
  for (size_t i = first_block; i < blocks_.size(); ++i)
    seg->max_us = std::max(seg->max_us, blocks_[i].header.max_us);
  if (offset < file_size) {
    if (last) {
      if (ftruncate(seg->fd, off_t(offset)) != 0)
        throw std::runtime_error(errno_text("store: truncate " + seg->path));
      truncated_bytes_ += file_size - offset;
    } else {
      ++corrupt_blocks_;  // the rest of a closed segment is unreadable: not indexed
    }
  }
  seg->size = offset;
  bytes_ += offset;
}

void Store::start_segment(uint64_t first_id) {
  auto seg = std::make_shared<Segment>();
  seg->path = settings_.dir + "/" + segment_name(first_id);
  seg->first_id = first_id;
  seg->fd = open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (seg->fd < 0) throw std::runtime_error(errno_text("store: create " + seg->path));
  if (settings_.sync) {  // the new file's name must survive a crash too
    int dir = open(settings_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      fsync(dir);
      close(dir);
    }
  }
  segments_.push_back(seg);
}

uint64_t Store::append(Entry& entry) {
  bool sealed;
  {
    std::unique_lock lock(mutex_);
    entry.id = next_id_++;
    Pending& p = *pending_;
    if (p.count == 0) p.first_id = entry.id;
    encode_entry_record(entry, p.raw);
    ++p.count;
    p.mask |= protocol_bit(entry.protocol);
    p.min_us = std::min(p.min_us, entry.timestamp_us);
    p.max_us = std::max(p.max_us, entry.timestamp_us);
    sealed = p.raw.size() >= settings_.block_bytes && seal_locked();
    if (sealed && background_) {
      // The committer writes several blocks per sync; past a bound the writers
      // wait for it (memory stays bounded, a capture falls behind visibly).
      if (sealed_.size() >= kBlocksPerWake) wake_.notify_one();
      while (sealed_.size() >= kMaxSealed && !stop_) written_.wait(lock);
    }
  }
  if (sealed && !background_) commit();
  return entry.id;
}

// The pending block becomes read-only, waiting for a commit.
bool Store::seal_locked() {
  if (pending_->count == 0) return false;
  sealed_.push_back(std::move(pending_));
  pending_ = new_pending_locked();
  return true;
}

// An empty block whose buffer holds a full one without regrowing: a committed
// block's buffer when one is spare.
std::unique_ptr<Store::Pending> Store::new_pending_locked() {
  auto p = std::make_unique<Pending>();
  if (!spare_raw_.empty()) {
    p->raw = std::move(spare_raw_.back());
    spare_raw_.pop_back();
    p->raw.clear();
  } else {
    p->raw.reserve(settings_.block_bytes + (settings_.block_bytes >> 2));
  }
  return p;
}

// Compression and I/O happen without the store's lock: appends and reads go
// on meanwhile (a capture thread never waits for the disk).
void Store::commit() {
  std::lock_guard commit_lock(commit_mutex_);
  std::vector<std::shared_ptr<Pending>> batch;
  std::shared_ptr<Segment> seg;
  {
    std::lock_guard lock(mutex_);
    seal_locked();
    batch.assign(sealed_.begin(), sealed_.end());
    seg = segments_.back();
  }
  if (batch.empty()) return;
  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  // A backlog that woke the committer before its interval means a high entry
  // rate (over kBlocksPerWake blocks per interval): then speed comes first.
  const bool behind = batch.size() >= kBlocksPerWake;
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel,
                         behind ? settings_.zstd_behind_level : settings_.zstd_level);
  std::vector<Block> written;
  uint64_t offset = seg->size;
  bool ok = true;
  for (const auto& p : batch) {
    compressed_.resize(kHeader + ZSTD_compressBound(p->raw.size()) + 4);
    size_t n = ZSTD_compress2(cctx, compressed_.data() + kHeader, compressed_.size() - kHeader - 4,
                              p->raw.data(), p->raw.size());
    if (ZSTD_isError(n))
      throw std::runtime_error(std::string("store: zstd: ") + ZSTD_getErrorName(n));
    uint32_t crc =
        uint32_t(crc32(0, reinterpret_cast<const Bytef*>(compressed_.data() + kHeader), uInt(n)));
    std::memcpy(compressed_.data() + kHeader + n, &crc, 4);
    n += 4;
    BlockHeader h;
    h.payload_len = uint32_t(n);
    h.raw_len = uint32_t(p->raw.size());
    h.count = p->count;
    h.mask = p->mask;
    h.first_id = p->first_id;
    h.min_us = p->min_us;
    h.max_us = p->max_us;
    h.write(reinterpret_cast<uint8_t*>(compressed_.data()));
    if (!write_all(seg->fd, compressed_.data(), kHeader + n, offset)) {
      ok = false;
      break;
    }
    written.push_back({seg, offset, h});
    offset += kHeader + n;
  }
  if (ok && settings_.sync && fdatasync(seg->fd) != 0) ok = false;
  std::lock_guard lock(mutex_);
  if (!ok) {  // the batch is lost (counted); the file is cut back to what was whole
    int saved = errno;
    if (ftruncate(seg->fd, off_t(seg->size)) != 0) {
      // Not indexed either way; the next open cuts it.
    }
    for (const auto& p : batch) lost_entries_ += p->count;
    sealed_.erase(sealed_.begin(), sealed_.begin() + ptrdiff_t(batch.size()));
    written_.notify_all();
    errno = saved;
    throw std::runtime_error(errno_text("store: write " + seg->path));
  }
  for (const Block& b : written) {
    blocks_.push_back(b);
    seg->max_us = std::max(seg->max_us, b.header.max_us);
  }
  if (behind) fast_blocks_ += written.size();
  bytes_ += offset - seg->size;
  seg->size = offset;
  durable_id_ = batch.back()->first_id + batch.back()->count - 1;
  sealed_.erase(sealed_.begin(), sealed_.begin() + ptrdiff_t(batch.size()));
  // Block buffers are kept for the blocks to come: a fresh one costs a page
  // fault per 4 KB it fills. As many as a backlog holds while behind; two once
  // the rate is low again, so the memory of a burst goes back.
  const size_t spares = behind ? 2 * kBlocksPerWake : 2;
  if (spare_raw_.size() > spares) spare_raw_.resize(spares);
  for (auto& p : batch)  // unless a scan still reads it
    if (p.use_count() == 1 && spare_raw_.size() < spares) spare_raw_.push_back(std::move(p->raw));
  written_.notify_all();
  if (seg->size >= settings_.segment_bytes)  // named after the first id it will hold
    start_segment(!sealed_.empty()  ? sealed_.front()->first_id
                  : pending_->count ? pending_->first_id
                                    : next_id_);
  enforce_retention_locked();
}

void Store::commit_every(std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  if (background_) return;
  background_ = true;
  committer_ = std::thread([this, interval] {
    pthread_setname_np(pthread_self(), "trawl-store");  // for top -H and perf
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, interval, [this] { return stop_ || sealed_.size() >= kBlocksPerWake; });
      if (stop_) break;
      lock.unlock();
      try {
        commit();
      } catch (const std::exception& e) {
        std::lock_guard errors(error_mutex_);
        last_error_ = e.what();  // the lost entries are counted; capture goes on
      }
      lock.lock();
    }
  });
}

uint64_t Store::durable_id() const {
  std::lock_guard lock(mutex_);
  return durable_id_;
}

void Store::enforce_retention_locked() {
  int64_t oldest_kept = settings_.now_us() - settings_.max_age_us;
  while (segments_.size() > 1 && segments_.front()->max_us < oldest_kept) drop_oldest_locked(true);
  while (segments_.size() > 1 && bytes_ > settings_.max_bytes) drop_oldest_locked(false);
}

void Store::drop_oldest_locked(bool expired) {
  std::shared_ptr<Segment> seg = segments_.front();
  segments_.erase(segments_.begin());
  auto end = std::find_if(blocks_.begin(), blocks_.end(),
                          [&](const Block& b) { return b.segment != seg; });
  blocks_.erase(blocks_.begin(), end);
  bytes_ -= seg->size;
  unlink(seg->path.c_str());  // readers holding the segment still read it
  (expired ? expired_ : evicted_)++;
}

bool Store::read_block(const Block& b, std::string& raw) const {
  if (load_block(b, raw)) return true;
  std::lock_guard lock(mutex_);
  ++corrupt_blocks_;
  return false;
}

std::optional<Entry> Store::get(uint64_t id) const {
  std::optional<Block> block;
  std::string raw;
  uint64_t pending_first = 0;
  {
    std::lock_guard lock(mutex_);
    if (id == 0 || id >= next_id_) return std::nullopt;
    const Pending* p = pending_->count > 0 && id >= pending_->first_id ? pending_.get() : nullptr;
    for (const auto& sealed : sealed_)
      if (id >= sealed->first_id && id < sealed->first_id + sealed->count) p = sealed.get();
    if (p) {
      raw = p->raw;
      pending_first = p->first_id;
    } else {
      auto it = std::upper_bound(blocks_.begin(), blocks_.end(), id,
                                 [](uint64_t v, const Block& b) { return v < b.header.first_id; });
      if (it == blocks_.begin()) return std::nullopt;
      --it;
      if (id >= it->header.first_id + it->header.count) return std::nullopt;
      block = *it;
    }
  }
  if (block && !read_block(*block, raw)) return std::nullopt;
  // Ids are consecutive within a block: the entry is the (id - first)th record.
  uint64_t first = block ? block->header.first_id : pending_first;
  std::vector<Bytes> records = split_records(raw);
  if (id - first >= records.size()) return std::nullopt;
  Entry e;
  Bytes record = records[size_t(id - first)];
  if (!decode_entry_record(record, e) || e.id != id) return std::nullopt;
  return e;
}

uint64_t Store::scan(const StoreRange& range, const std::function<bool(Entry&)>& visit,
                     uint64_t* scanned) const {
  std::vector<Block> blocks;
  std::vector<std::shared_ptr<const Pending>> unwritten;  // newest first
  {
    std::lock_guard lock(mutex_);
    auto wanted = [&](const Pending& p) {
      return p.count > 0 && (p.mask & range.protocols) &&
             p.first_id + p.count - 1 >= range.min_id && p.first_id <= range.max_id &&
             p.max_us >= range.min_us && p.min_us <= range.max_us;
    };
    if (wanted(*pending_)) unwritten.push_back(std::make_shared<const Pending>(*pending_));
    for (size_t i = sealed_.size(); i-- > 0;)
      if (wanted(*sealed_[i])) unwritten.push_back(sealed_[i]);
    for (const Block& b : blocks_) {
      const BlockHeader& h = b.header;
      if ((h.mask & range.protocols) && h.first_id + h.count - 1 >= range.min_id &&
          h.first_id <= range.max_id && h.max_us >= range.min_us && h.min_us <= range.max_us)
        blocks.push_back(b);
    }
  }
  uint64_t visited = 0;
  // Newest first within a block too: the records are split, then read backwards.
  auto visit_raw = [&](const std::string& raw) {
    std::vector<Bytes> records = split_records(raw);
    if (scanned) *scanned += records.size();
    Entry e;
    RecordKey key;
    for (size_t i = records.size(); i-- > 0;) {
      Bytes r = records[i];
      if (!peek_entry_record(r, key) || key.id < range.min_id || key.id > range.max_id ||
          key.timestamp_us < range.min_us || key.timestamp_us > range.max_us ||
          !(protocol_bit(key.protocol) & range.protocols) || !decode_entry_record(r, e))
        continue;
      ++visited;
      if (!visit(e)) return false;
    }
    return true;
  };
  for (const auto& p : unwritten)
    if (!visit_raw(p->raw)) return visited;
  std::string raw;
  for (size_t i = blocks.size(); i-- > 0;) {
    if (!read_block(blocks[i], raw)) continue;
    if (!visit_raw(raw)) break;
  }
  return visited;
}

StoreStats Store::stats() const {
  std::lock_guard lock(mutex_);
  StoreStats s;
  for (const Block& b : blocks_) s.entries += b.header.count;
  for (const auto& p : sealed_) s.entries += p->count;
  s.entries += pending_->count;
  s.blocks = blocks_.size();
  s.segments = segments_.size();
  s.bytes = bytes_;
  s.first_id = !blocks_.empty()   ? blocks_.front().header.first_id
               : !sealed_.empty() ? sealed_.front()->first_id
               : pending_->count  ? pending_->first_id
                                  : 0;
  s.entries_lost = lost_entries_;
  s.fast_blocks = fast_blocks_;
  {
    std::lock_guard errors(error_mutex_);
    s.last_error = last_error_;
  }
  s.last_id = next_id_ - 1;
  s.durable_id = durable_id_;
  s.corrupt_blocks = corrupt_blocks_;
  s.truncated_bytes = truncated_bytes_;
  s.segments_expired = expired_;
  s.segments_evicted = evicted_;
  return s;
}

}  // namespace trawl
