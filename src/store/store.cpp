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
// Ids are leased this many at a time: a crash wastes at most this many, and the
// lease is written (and synced) once per this many entries.
constexpr uint64_t kLeaseIds = 1 << 20;
constexpr uint32_t kLeaseMagic = 0x4C575254;  // "TRWL"
constexpr off_t kLeaseSlot = 512;             // two slots, written in turn: one is always whole
constexpr const char* kLeaseFile = "ids.lease";

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

// A block whose header is whole and valid at `offset`, with its payload inside the file.
bool block_at(int fd, uint64_t offset, uint64_t file_size, BlockHeader& header) {
  uint8_t h[kHeader];
  return offset + kHeader <= file_size && read_all(fd, h, kHeader, offset) && header.read(h) &&
         offset + kHeader + header.payload_len <= file_size;
}

// The offset of the next valid block header at or after `from` whose ids do not
// go back before `min_id`, or file_size: how indexing gets past a damaged stretch.
uint64_t next_block(int fd, uint64_t from, uint64_t file_size, uint64_t min_id) {
  constexpr size_t kChunk = 1 << 20;
  std::string chunk;
  for (uint64_t at = from; at + kHeader <= file_size;) {
    size_t n = size_t(std::min<uint64_t>(kChunk, file_size - at));
    chunk.resize(n);
    if (!read_all(fd, chunk.data(), n, at)) return file_size;
    for (size_t i = 0; i + 4 <= n; ++i) {
      i = chunk.find("TRW", i);
      if (i == std::string::npos || i + 4 > n) break;
      if (chunk[i + 3] != '1' && chunk[i + 3] != '2') continue;
      BlockHeader header;
      if (block_at(fd, at + i, file_size, header) && header.first_id >= min_id) return at + i;
    }
    if (at + n >= file_size) break;
    at += n - 3;  // a magic cut by the chunk's end is found in the next one
  }
  return file_size;
}

bool is_segment_name(const std::string& name) {
  return name.size() == 24 && name.ends_with(".seg") &&
         std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; });
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
  {  // A clean stop: the next run continues at the next id, without a gap.
    std::lock_guard lock(mutex_);
    write_lease_locked(next_id_);
  }
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
  if (lease_fd_ >= 0) close(lease_fd_);
}

void Store::open_segments() {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(settings_.dir)) {
    std::string name = f.path().filename().string();
    if (is_segment_name(name) && f.is_regular_file()) {
      names.push_back(name);
    } else if (name != kLeaseFile) {
      stray_files_.push_back(name);
      std::fprintf(stderr, "trawl: store: %s/%s is not a file of the store: skipped\n",
                   settings_.dir.c_str(), name.c_str());
    }
  }
  std::sort(names.begin(), names.end());
  std::sort(stray_files_.begin(), stray_files_.end());
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
  last_id_ = durable_id_ = next_id_ - 1;
  open_lease();
  if (segments_.empty()) start_segment(next_id_);
}

// Reads the block headers of a segment into the index. A stretch that holds no
// valid block (a damaged header, ids that go backwards) is skipped, counted,
// and indexing resumes at the next valid header. In the segment being written,
// what follows the last valid block is a torn tail: it is cut, and so are the
// last blocks if their payloads fail (a crash can only have cut those).
void Store::index_segment(const std::shared_ptr<Segment>& seg, bool last) {
  struct stat st {};
  if (fstat(seg->fd, &st) != 0) throw std::runtime_error(errno_text("store: stat " + seg->path));
  uint64_t file_size = uint64_t(st.st_size), offset = 0, end = 0;
  uint64_t min_id =
      blocks_.empty() ? 0 : blocks_.back().header.first_id + blocks_.back().header.count;
  size_t first_block = blocks_.size();
  while (offset + kHeader <= file_size) {
    BlockHeader header;
    if (!block_at(seg->fd, offset, file_size, header) || header.first_id < min_id) {
      uint64_t next = next_block(seg->fd, offset + 1, file_size, min_id);
      if (next == file_size) break;  // nothing valid follows: the tail
      ++damaged_regions_;
      damaged_bytes_ += next - offset;
      std::fprintf(stderr,
                   "trawl: store: %s: %llu damaged bytes at offset %llu skipped; the blocks "
                   "after them are kept\n",
                   seg->path.c_str(), static_cast<unsigned long long>(next - offset),
                   static_cast<unsigned long long>(offset));
      offset = next;
      continue;
    }
    blocks_.push_back({seg, offset, header});
    min_id = header.first_id + header.count;
    offset += kHeader + header.payload_len;
    end = offset;
  }
  if (last) check_tail(first_block, end);
  for (size_t i = first_block; i < blocks_.size(); ++i)
    seg->max_us = std::max(seg->max_us, blocks_[i].header.max_us);
  if (end < file_size) {
    if (last) {
      if (ftruncate(seg->fd, off_t(end)) != 0)
        throw std::runtime_error(errno_text("store: truncate " + seg->path));
      truncated_bytes_ += file_size - end;
    } else {
      ++damaged_regions_;  // the end of a closed segment is unreadable: not indexed
      damaged_bytes_ += file_size - end;
    }
  }
  seg->size = end;
  bytes_ += end;
}

// The last blocks of the segment being written whose payloads fail were cut by
// a crash: they join the tail that is cut (`end` moves back to them).
void Store::check_tail(size_t first_block, uint64_t& end) {
  constexpr size_t kTailBlocksChecked = 4;
  std::string raw;
  for (size_t checked = 0; blocks_.size() > first_block && checked < kTailBlocksChecked;
       ++checked) {
    const Block& b = blocks_.back();
    if (load_block(b, raw) && split_records(raw).size() == b.header.count) break;
    end = b.offset;
    blocks_.pop_back();
  }
}

// The lease: ids below lease_end_ may have been handed out before. Two slots
// (magic, CRC-32, sequence, end), written in turn, so one is whole after any
// crash; the one written last counts (a clean stop may lower the end).
void Store::open_lease() {
  std::string path = settings_.dir + "/" + kLeaseFile;
  lease_fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lease_fd_ < 0) throw std::runtime_error(errno_text("store: open " + path));
  uint64_t newest_seq = 0;
  for (int slot = 0; slot < 2; ++slot) {
    uint8_t b[24];
    uint32_t magic, crc;
    uint64_t seq, end;
    if (!read_all(lease_fd_, b, sizeof b, uint64_t(slot * kLeaseSlot))) continue;
    std::memcpy(&magic, b, 4);
    std::memcpy(&crc, b + 4, 4);
    std::memcpy(&seq, b + 8, 8);
    std::memcpy(&end, b + 16, 8);
    if (magic != kLeaseMagic || crc != uint32_t(crc32(0, b + 8, 16)) || seq < newest_seq) continue;
    newest_seq = seq;
    lease_seq_ = seq;
    lease_end_ = end;
    lease_slot_ = 1 - slot;  // the next write goes to the other slot
  }
  next_id_ = std::max(next_id_, lease_end_);
  lease_end_ = next_id_;  // the first append leases more (an open alone syncs nothing)
  // The file is full size from the start: later writes overwrite, so a full
  // disk cannot refuse them.
  struct stat st {};
  if (fstat(lease_fd_, &st) == 0 && st.st_size < 2 * kLeaseSlot) {
    if (ftruncate(lease_fd_, 2 * kLeaseSlot) != 0) {
      // Written in place when the lease is extended anyway.
    }
  }
}

// Leases the ids below `end`. A lease that cannot be written is reported; ids
// go on (an entry must never wait for it).
void Store::write_lease_locked(uint64_t end) {
  uint64_t seq = ++lease_seq_;
  uint8_t b[24];
  std::memcpy(b, &kLeaseMagic, 4);
  std::memcpy(b + 8, &seq, 8);
  std::memcpy(b + 16, &end, 8);
  uint32_t crc = uint32_t(crc32(0, b + 8, 16));
  std::memcpy(b + 4, &crc, 4);
  bool ok = write_all(lease_fd_, b, sizeof b, uint64_t(lease_slot_ * kLeaseSlot)) &&
            (!settings_.sync || fdatasync(lease_fd_) == 0);
  if (!ok) {
    std::lock_guard errors(error_mutex_);
    last_error_ = errno_text("store: write " + settings_.dir + "/" + kLeaseFile);
  }
  lease_slot_ = 1 - lease_slot_;
  lease_end_ = end;
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
    if (next_id_ >= lease_end_) write_lease_locked(next_id_ + kLeaseIds);
    entry.id = last_id_ = next_id_++;
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
    if (ZSTD_isError(n)) {  // counted as a failed write
      ok = false;
      errno = EIO;
      break;
    }
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
    ++failed_commits_;
    sealed_.erase(sealed_.begin(), sealed_.begin() + ptrdiff_t(batch.size()));
    written_.notify_all();
    errno = saved;
    std::string error = errno_text("store: write " + seg->path);
    {
      std::lock_guard errors(error_mutex_);
      last_error_ = error;
    }
    throw std::runtime_error(error);
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
  if (lease_end_ - next_id_ < kLeaseIds / 2) write_lease_locked(next_id_ + kLeaseIds);
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
      } catch (const std::exception&) {
        // Counted and kept in last_error; capture goes on, and so do commits.
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
                     ScanControl* control) const {
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
  auto should_stop = [&](uint64_t resume_below) {
    if (!control || (monotonic_coarse_ns() < control->deadline_ns &&
                     !(control->cancelled && control->cancelled->load(std::memory_order_relaxed))))
      return false;
    control->stopped = true;
    control->resume_below = resume_below;
    return true;
  };
  // Newest first within a block too: the records are split, then read backwards.
  auto visit_raw = [&](const std::string& raw) {
    std::vector<Bytes> records = split_records(raw);
    if (control) control->scanned += records.size();
    Entry e;
    RecordKey key;
    for (size_t i = records.size(); i-- > 0;) {
      Bytes r = records[i];
      if (!peek_entry_record(r, key)) continue;
      if (control && should_stop(key.id + 1)) return false;
      if (key.id < range.min_id || key.id > range.max_id || key.timestamp_us < range.min_us ||
          key.timestamp_us > range.max_us || !(protocol_bit(key.protocol) & range.protocols) ||
          !decode_entry_record(r, e))
        continue;
      ++visited;
      if (!visit(e)) return false;
    }
    return true;
  };
  for (const auto& p : unwritten) {
    if (should_stop(std::min(range.max_id, p->first_id + p->count - 1) + 1)) return visited;
    if (!visit_raw(p->raw)) return visited;
  }
  std::string raw;
  for (size_t i = blocks.size(); i-- > 0;) {
    const BlockHeader& h = blocks[i].header;
    if (should_stop(std::min(range.max_id, h.first_id + h.count - 1) + 1)) break;
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
  s.last_id = last_id_;
  s.failed_commits = failed_commits_;
  s.damaged_regions = damaged_regions_;
  s.damaged_bytes = damaged_bytes_;
  s.stray_files = stray_files_;
  s.durable_id = durable_id_;
  s.corrupt_blocks = corrupt_blocks_;
  s.truncated_bytes = truncated_bytes_;
  s.segments_expired = expired_;
  s.segments_evicted = evicted_;
  return s;
}

}  // namespace trawl
