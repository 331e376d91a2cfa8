#include "store/packet_ring.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "decode/decoder.h"

namespace trawl {

namespace {

constexpr uint32_t kSectionHeader = 0x0A0D0D0A, kInterfaceDescription = 1, kEnhancedPacket = 6;
// A block type of pcapng's local-use range ("the high bit set"): readers skip it.
constexpr uint32_t kPaddingBlock = 0x80000000u | 0x7472;
constexpr uint32_t kSectionHeaderBytes = 28, kInterfaceBytes = 20;
constexpr size_t kAlign = 4096;     // O_DIRECT: buffers, offsets and lengths in pages
constexpr size_t kIdleBuffers = 2;  // kept when the writer has had nothing to do for a while
constexpr size_t kRunBuffers = 4;   // written at once, at most

// Ring files of every thread, oldest first within a thread: t<thread>-<seq>.pcapng.
std::vector<std::filesystem::path> ring_files(const std::string& dir, int thread = -1) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = f.path().filename().string();
    unsigned t;
    unsigned long long seq;
    int end = 0;
    if (std::sscanf(name.c_str(), "t%u-%llu.pcapng%n", &t, &seq, &end) != 2 ||
        size_t(end) != name.size() || !f.is_regular_file(ec))
      continue;  // not a ring file: left alone
    if (thread >= 0 && t != unsigned(thread)) continue;
    out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Each counter has one writing thread: a plain add that stats() can read, not
// a locked read-modify-write (the capture thread counts every packet).
void add_own(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

PacketRing::PacketRing(PacketRingSettings settings, int thread)
    : settings_(std::move(settings)), thread_(thread) {
  if (settings_.buffer_bytes < kAlign || settings_.buffer_bytes % kAlign != 0 ||
      settings_.max_buffers < 2)
    throw std::invalid_argument("packet ring: buffers must be 4096-byte multiples, two or more");
  std::error_code ec;
  std::filesystem::create_directories(settings_.dir, ec);
  if (ec)
    throw std::runtime_error("packet ring: cannot create " + settings_.dir + ": " + ec.message());
  // Files of an earlier run stay, within the budget, for the entries they back.
  for (const auto& p : ring_files(settings_.dir, thread_)) {
    uint64_t size = std::filesystem::file_size(p, ec);
    closed_.emplace_back(p.string(), ec ? 0 : size);
    closed_bytes_ += ec ? 0 : size;
    unsigned t;
    unsigned long long seq = 0;
    std::sscanf(p.filename().c_str(), "t%u-%llu", &t, &seq);
    file_seq_ = std::max<uint64_t>(file_seq_, seq + 1);
  }
  // Fail here, not in the writer, when the directory cannot take files.
  std::string probe = settings_.dir + "/.t" + std::to_string(thread_) + "-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("packet ring: cannot write in " + settings_.dir + ": " +
                             std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(),
                       ("trawl-packets" + std::to_string(thread_)).substr(0, 15).c_str());
    writer_loop();
  });
}

PacketRing::~PacketRing() {
  close();
  for (Buffer* b : free_) release(b);  // every buffer is back, the writer done
}

void PacketRing::close() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    if (current_ && current_->used > 0)
      jobs_.push_back({current_, false, 0, 0});
    else if (current_)
      free_.push_back(current_);
    if (file_started_) jobs_.push_back({nullptr, true, file_seq_, file_size_});
    current_ = nullptr;
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

PacketRingStats PacketRing::stats() const {
  PacketRingStats s;
  s.kept_packets = kept_packets_.load(std::memory_order_relaxed);
  s.kept_bytes = kept_bytes_.load(std::memory_order_relaxed);
  s.dropped_packets = dropped_packets_.load(std::memory_order_relaxed);
  s.lost_packets = lost_packets_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.files_removed = files_removed_.load(std::memory_order_relaxed);
  s.direct_io = direct_io_.load(std::memory_order_relaxed);
  return s;
}

// Capture thread ------------------------------------------------------------

// Buffers are mapped, not malloc'ed, so that giving them back to the system
// after a burst lowers the RSS. Each has room after its data for the writer's
// padding block (up to two pages).
bool PacketRing::reserve_locked(size_t n) {
  while (free_.size() < n && allocated_ < settings_.max_buffers) {
    void* data = ::mmap(nullptr, settings_.buffer_bytes + 2 * kAlign, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) return false;
    ++allocated_;
    free_.push_back(new Buffer{static_cast<char*>(data)});
  }
  return free_.size() >= n;
}

void PacketRing::release(Buffer* b) const {
  ::munmap(b->data, settings_.buffer_bytes + 2 * kAlign);
  delete b;
}

PacketRing::Buffer* PacketRing::take_locked() {
  Buffer* b = free_.back();
  free_.pop_back();
  return b;
}

void PacketRing::add(const Frame& frame) {
  const bool new_file = !file_started_ || file_size_ >= settings_.file_bytes;
  const uint32_t caplen = uint32_t(frame.data.size());
  const uint32_t padded = (caplen + 3) & ~3u;
  size_t iface = 0;  // a new file declares its interfaces afresh
  if (!new_file)
    while (iface < interfaces_.size() && interfaces_[iface] != frame.link_type) ++iface;
  const bool new_iface = new_file || iface == interfaces_.size();
  const size_t needed = (new_file ? kSectionHeaderBytes : 0) + (new_iface ? kInterfaceBytes : 0) +
                        32 + size_t(padded);
  const size_t room =
      !current_ || (new_file && current_->used > 0) ? 0 : settings_.buffer_bytes - current_->used;
  if (needed > room || new_file) {
    std::unique_lock lock(mutex_);
    size_t wanted =
        needed > room ? (needed - room + settings_.buffer_bytes - 1) / settings_.buffer_bytes : 0;
    if (!reserve_locked(wanted)) {
      add_own(dropped_packets_, 1);
      return;
    }
    if (new_file) {
      if (current_ && current_->used > 0) {
        jobs_.push_back({current_, false, 0, 0});
        current_ = nullptr;
      }
      if (file_started_) jobs_.push_back({nullptr, true, file_seq_, file_size_});
      if (file_started_) ++file_seq_;
      file_started_ = true;
      file_size_ = 0;
      flushed_size_ = 0;
      interfaces_.clear();
      if (current_) current_->file_seq = file_seq_, current_->offset = 0;
    }
    lock.unlock();
    wake_writer_.notify_one();
  }
  if (new_file) {
    // Version 1.0, section length unknown.
    uint32_t shb[7] = {kSectionHeader, kSectionHeaderBytes, 0x1A2B3C4D,         1,
                       0xFFFFFFFF,     0xFFFFFFFF,          kSectionHeaderBytes};
    append(shb, sizeof shb);
  }
  if (new_iface) {
    uint32_t idb[5] = {kInterfaceDescription, kInterfaceBytes, uint32_t(uint16_t(frame.link_type)),
                       262144, kInterfaceBytes};
    append(idb, sizeof idb);
    interfaces_.push_back(frame.link_type);
  }
  uint32_t length = 32 + padded;
  uint64_t ts = uint64_t(frame.timestamp_us);  // default resolution: microseconds
  uint32_t head[7] = {kEnhancedPacket, length, uint32_t(iface),  uint32_t(ts >> 32),
                      uint32_t(ts),    caplen, frame.wire_length};
  append(head, sizeof head);
  append(frame.data.data(), caplen);
  static const uint8_t kZeros[4] = {};
  append(kZeros, padded - caplen);
  append(&length, 4);
  ++current_->packets;  // the packet ends in the current buffer
  current_->packet_bytes += needed;
}

// Copies into the current buffer, handing full ones to the writer; add()
// reserved the buffers it needs beforehand.
void PacketRing::append(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    if (!current_ || current_->used == settings_.buffer_bytes) {
      std::unique_lock lock(mutex_);
      uint64_t offset = file_size_;  // full buffers end on a page boundary
      if (current_) {
        jobs_.push_back({current_, false, 0, 0});
        current_ = nullptr;
      }
      current_ = take_locked();
      lock.unlock();
      wake_writer_.notify_one();
      current_->used = 0;
      current_->packets = current_->packet_bytes = 0;
      current_->file_seq = file_seq_;
      current_->offset = offset;
    }
    size_t k = std::min(n, settings_.buffer_bytes - current_->used);
    std::memcpy(current_->data + current_->used, p, k);
    current_->used += k;
    file_size_ += k;
    p += k;
    n -= k;
  }
}

void PacketRing::flush() {
  if (!current_ || file_size_ == flushed_size_) return;
  std::unique_lock lock(mutex_);
  if (!reserve_locked(1)) return;  // visible once the writer catches up
  // The last, partial page is written now (padded) and again, fuller, later:
  // the next buffer starts with a copy of it.
  Buffer* next = take_locked();
  const size_t tail = current_->used % kAlign;
  next->used = tail;
  next->packets = next->packet_bytes = 0;  // counted with the buffer flushed
  next->file_seq = current_->file_seq;
  next->offset = current_->offset + (current_->used - tail);
  std::memcpy(next->data, current_->data + current_->used - tail, tail);
  jobs_.push_back({current_, false, 0, 0});
  current_ = next;
  flushed_size_ = file_size_;
  lock.unlock();
  wake_writer_.notify_one();
}

// Writer thread -------------------------------------------------------------

void PacketRing::writer_loop() {
  // Above the capture thread: when they share a core, a writer waiting for it
  // between writes would leave the disk idle (best effort: needs CAP_SYS_NICE).
  setpriority(PRIO_PROCESS, pid_t(gettid()), -10);
  std::vector<Buffer*> run;
  std::vector<Buffer*> spare;
  std::unique_lock lock(mutex_);
  while (true) {
    // A second without work: buffers beyond a few go back to the system.
    if (!wake_writer_.wait_for(lock, std::chrono::seconds(1),
                               [this] { return stopping_ || !jobs_.empty(); })) {
      while (free_.size() > kIdleBuffers) {
        spare.push_back(free_.back());
        free_.pop_back();
        --allocated_;
      }
      lock.unlock();
      for (Buffer* b : spare) release(b);
      spare.clear();
      lock.lock();
      continue;
    }
    if (jobs_.empty()) break;  // stopping, and everything written
    // The next run of buffers that follow each other in the file (a few at a
    // time, so that they come back to the capture thread soon), or a close.
    std::optional<Job> close;
    while (!jobs_.empty()) {
      const Job& job = jobs_.front();
      if (!job.buffer) {
        if (run.empty()) {
          close = job;
          jobs_.pop_front();
        }
        break;
      }
      const Buffer* last = run.empty() ? nullptr : run.back();
      if (last && (run.size() == kRunBuffers || last->file_seq != job.buffer->file_seq ||
                   last->used % kAlign != 0 || last->offset + last->used != job.buffer->offset))
        break;
      run.push_back(job.buffer);
      jobs_.pop_front();
    }
    lock.unlock();
    if (close)
      close_file(close->seq, close->size);
    else
      write_run(run);
    lock.lock();
    free_.insert(free_.end(), run.begin(), run.end());
    run.clear();
  }
  if (fd_ >= 0 && open_seq_ == broken_seq_) {
    close_file(open_seq_, broken_size_);  // its end is where the failed write began
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
}

void PacketRing::open_file(uint64_t seq) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // Room for the new file first: the oldest files go.
  while (!closed_.empty() && closed_bytes_ + settings_.file_bytes > settings_.max_bytes) {
    ::unlink(closed_.front().first.c_str());
    closed_bytes_ -= std::min(closed_bytes_, closed_.front().second);
    closed_.pop_front();
    add_own(files_removed_, 1);
  }
  char name[64];
  std::snprintf(name, sizeof name, "/t%d-%010llu.pcapng", thread_,
                static_cast<unsigned long long>(seq));
  open_path_ = settings_.dir + name;
  open_seq_ = seq;
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  fd_ = ::open(open_path_.c_str(), flags | O_DIRECT, 0644);
  direct_io_.store(fd_ >= 0, std::memory_order_relaxed);
  if (fd_ < 0) fd_ = ::open(open_path_.c_str(), flags, 0644);  // a file system without it
}

void PacketRing::write_run(const std::vector<Buffer*>& run) {
  uint64_t packets = 0, bytes = 0;
  for (const Buffer* b : run) {
    packets += b->packets;
    bytes += b->packet_bytes;
  }
  if (run.empty()) return;
  bool broken = run[0]->file_seq == broken_seq_;
  if (!broken && write_buffers(run)) {
    add_own(kept_packets_, packets);
    add_own(kept_bytes_, bytes);
    return;
  }
  if (!broken) {
    add_own(write_errors_, 1);
    broken_seq_ = run[0]->file_seq, broken_size_ = run[0]->offset;
  }
  add_own(lost_packets_, packets);
}

// Buffers that follow each other in one file, all but the last full pages.
bool PacketRing::write_buffers(const std::vector<Buffer*>& run) {
  if (run.empty()) return true;
  if (fd_ < 0 || open_seq_ != run[0]->file_seq) open_file(run[0]->file_seq);
  if (fd_ < 0) return false;
  // O_DIRECT writes whole pages: a partial one is completed with a block that
  // pcapng readers skip, so the file reads as valid pcapng while it grows.
  Buffer& b = *run.back();
  size_t n = b.used, padded = (n + kAlign - 1) / kAlign * kAlign;
  if (padded != n && padded - n < 12) padded += kAlign;
  if (padded != n) {
    uint32_t pad = uint32_t(padded - n);
    std::memset(b.data + n, 0, pad);
    uint32_t head[2] = {kPaddingBlock, pad};
    std::memcpy(b.data + n, head, 8);
    std::memcpy(b.data + padded - 4, &pad, 4);
  }
  std::vector<iovec> iov;
  for (const Buffer* r : run) iov.push_back({r->data, r == &b ? padded : r->used});
  uint64_t offset = run[0]->offset;
  size_t at = 0;
  while (at < iov.size()) {
    ssize_t w = ::pwritev(fd_, iov.data() + at, int(std::min<size_t>(iov.size() - at, IOV_MAX)),
                          off_t(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    offset += uint64_t(w);
    for (size_t left = size_t(w); left > 0;) {  // past what was written
      size_t k = std::min(left, iov[at].iov_len);
      iov[at].iov_base = static_cast<char*>(iov[at].iov_base) + k;
      iov[at].iov_len -= k;
      left -= k;
      if (iov[at].iov_len == 0) ++at;
    }
  }
  return true;
}

void PacketRing::close_file(uint64_t seq, uint64_t size) {
  if (fd_ < 0 || open_seq_ != seq) return;
  if (seq == broken_seq_) size = broken_size_;
  if (::ftruncate(fd_, off_t(size)) != 0) add_own(write_errors_, 1);
  ::close(fd_);
  fd_ = -1;
  if (size == 0) {  // not even its header was written
    ::unlink(open_path_.c_str());
    return;
  }
  closed_.emplace_back(open_path_, size);
  closed_bytes_ += size;
}

ConnectionExport::ConnectionExport(std::string dir, const std::string& layer4, EntryEndpoint a,
                                   EntryEndpoint b)
    : a_(std::move(a)), b_(std::move(b)) {
  protocol_ = layer4 == "tcp" ? kTcp : layer4 == "udp" ? kUdp : layer4 == "sctp" ? kSctp : 0;
  if (protocol_)
    for (const auto& path : ring_files(dir)) files_.push_back(path.string());
}

ConnectionExport::~ConnectionExport() = default;

bool ConnectionExport::matches(const Packet& p) const {
  if (p.protocol != protocol_) return false;
  std::string src = p.src.to_string(), dst = p.dst.to_string();
  return (src == a_.ip && p.src_port == a_.port && dst == b_.ip && p.dst_port == b_.port) ||
         (src == b_.ip && p.src_port == b_.port && dst == a_.ip && p.dst_port == a_.port);
}

bool ConnectionExport::next(std::string& out, size_t max_bytes, const std::function<bool()>& stop) {
  Decoder decoder;
  Packet packet;
  Frame frame;
  uint64_t frames = 0;
  while (file_ < files_.size()) {
    if (!source_) {
      try {
        source_ = std::make_unique<PcapSource>(files_[file_]);
      } catch (const std::exception&) {
        ++file_;  // removed by the ring meanwhile, or not yet written
        continue;
      }
    }
    while (true) {
      if (++frames % 1024 == 0 && stop && stop()) return false;  // before taking a frame
      if (!source_->next(frame)) break;
      if (link_type_ >= 0 && frame.link_type != link_type_) continue;
      if (decoder.decode(frame, packet) != DecodeResult::kPacket || !matches(packet)) continue;
      if (link_type_ < 0) {
        link_type_ = frame.link_type;
        uint32_t header[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 262144, uint32_t(link_type_)};
        out.append(reinterpret_cast<const char*>(header), sizeof header);
      }
      uint32_t record[4] = {uint32_t(frame.timestamp_us / 1000000),
                            uint32_t(frame.timestamp_us % 1000000), uint32_t(frame.data.size()),
                            frame.wire_length};
      out.append(reinterpret_cast<const char*>(record), sizeof record);
      out.append(reinterpret_cast<const char*>(frame.data.data()), frame.data.size());
      if (out.size() >= max_bytes) return false;
    }
    source_.reset();
    ++file_;
  }
  return true;
}

std::optional<std::string> export_connection(const std::string& dir, const std::string& layer4,
                                             const EntryEndpoint& a, const EntryEndpoint& b) {
  ConnectionExport e(dir, layer4, a, b);
  std::string out;
  while (!e.next(out, SIZE_MAX, nullptr)) {
  }
  if (!e.found()) return std::nullopt;
  return out;
}

}  // namespace trawl
