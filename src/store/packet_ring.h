// The packets behind entries: each capture thread writes the frames it sees to
// its own ring of pcapng files, bounded in bytes; the oldest file goes first.
// A connection's packets can be exported as a pcap later: flows are spread over
// threads by hash, so one thread's files hold all of them.
//
// The capture thread only copies frames into buffers; a writer thread of the
// ring's own writes them with O_DIRECT (where the file system allows it). Page
// cache writes cost more CPU than the dissection itself at line rate, and a
// capture thread waiting on the disk is a capture thread dropping packets.
// When the disk falls behind and every buffer is taken, frames are not kept
// and are counted (`dropped_packets`), never waited for.
#pragma once

#include <atomic>
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

#include "base/counters.h"
#include "capture/pcap_source.h"
#include "decode/packet.h"
#include "entries/entry.h"

namespace trawl {

struct PacketRingSettings {
  std::string dir;
  uint64_t max_bytes = 256u << 20;  // this thread's share of the budget
  uint64_t file_bytes = 16u << 20;
  size_t buffer_bytes = 1u << 20;  // a multiple of 4096
  size_t max_buffers = 32;         // mapped as needed; a few are kept when idle
};

#define TRAWL_PACKET_RING_COUNTERS(X)                                                     \
  X(kept_packets, "packet_ring", "kept_packets", "", "Packets written to disk.")          \
  X(kept_bytes, "packet_ring", "kept_bytes", "", "Their pcapng bytes.")                   \
  X(dropped_packets, "packet_ring", "dropped_packets", "trawl_packet_ring_dropped_total", \
    "Packets not kept in the packet ring (its writer was behind the disk).")              \
  X(lost_packets, "packet_ring", "lost_packets", "trawl_packet_ring_lost_total",          \
    "Packets not kept in the packet ring (their write failed).")                          \
  X(write_errors, "packet_ring", "write_errors", "trawl_packet_ring_write_errors_total",  \
    "Failed writes of the packet ring.")                                                  \
  X(files_removed, "packet_ring", "files_removed", "", "Files removed to stay within the budget.")

struct PacketRingStats {
  TRAWL_PACKET_RING_COUNTERS(TRAWL_COUNTER_MEMBER)
  bool direct_io = false;  // O_DIRECT writes (false: the file system refused it)

  PacketRingStats& operator+=(const PacketRingStats& o);
};
TRAWL_COUNTER_FIELDS(PacketRingStats, TRAWL_PACKET_RING_COUNTERS)

inline PacketRingStats& PacketRingStats::operator+=(const PacketRingStats& o) {
  for (const auto& f : counter_fields(this)) this->*f.member += o.*f.member;
  direct_io = direct_io || o.direct_io;
  return *this;
}

class PacketRing {
 public:
  // Throws std::runtime_error when the directory cannot be written.
  PacketRing(PacketRingSettings settings, int thread);
  // Writes what is buffered and closes the current file.
  ~PacketRing();
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  void add(const Frame& frame);
  // Hands what was added to the writer, to be visible to exports shortly
  // (called when the capture thread is idle, and at least every 100 ms).
  void flush();
  // Writes what is buffered, closes the current file and waits for the
  // writer: stats() are final after it. Nothing may be added after.
  void close();
  PacketRingStats stats() const;

 private:
  struct Buffer {
    char* data = nullptr;  // buffer_bytes, then room for the writer's padding block
    size_t used = 0;
    uint64_t file_seq = 0;
    uint64_t offset = 0;  // in the file; a multiple of 4096
    // Packets that end in this buffer, and their bytes: kept once it is written.
    uint64_t packets = 0, packet_bytes = 0;
  };
  // Write a buffer, or close file `seq` at `size` bytes.
  struct Job {
    Buffer* buffer;
    bool close;
    uint64_t seq, size;
  };

  bool reserve_locked(size_t n);  // at least n free buffers
  Buffer* take_locked();
  void release(Buffer* b) const;
  void append(const void* data, size_t n);
  void writer_loop();
  void open_file(uint64_t seq);
  // Writes the run; counts its packets kept, or lost when the write fails.
  void write_run(const std::vector<Buffer*>& run);
  bool write_buffers(const std::vector<Buffer*>& run);
  void close_file(uint64_t seq, uint64_t size);

  PacketRingSettings settings_;
  int thread_;

  // The capture thread's side. The current buffer always ends the file so far:
  // current_->offset + current_->used == file_size_.
  Buffer* current_ = nullptr;
  uint64_t file_seq_ = 0;
  uint64_t file_size_ = 0;
  uint64_t flushed_size_ = 0;
  bool file_started_ = false;
  std::vector<int> interfaces_;  // link types, in interface id order, of the current file

  // Shared, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::deque<Job> jobs_;
  std::vector<Buffer*> free_;
  size_t allocated_ = 0;
  bool stopping_ = false;

  // Counters for stats(), each written by one thread: dropped by the capture
  // thread, the rest by the writer.
  std::atomic<uint64_t> kept_packets_{0}, kept_bytes_{0}, dropped_packets_{0}, lost_packets_{0},
      write_errors_{0}, files_removed_{0};
  std::atomic<bool> direct_io_{false};

  // The writer thread's side.
  int fd_ = -1;
  uint64_t open_seq_ = 0;
  // A file whose write failed (a full disk) ends where that write began: the
  // rest of its buffers are lost, not written past a hole (zeros are not
  // pcapng), and it is closed at that size.
  uint64_t broken_seq_ = UINT64_MAX, broken_size_ = 0;
  std::string open_path_;
  std::deque<std::pair<std::string, uint64_t>> closed_;  // oldest first, with sizes
  uint64_t closed_bytes_ = 0;
  std::thread writer_;
};

// Every kept packet of the TCP/UDP/SCTP connection between `a` and `b` (either
// direction), as the bytes of a pcap file, made a part at a time: a large
// connection never sits in memory whole.
class ConnectionExport {
 public:
  ConnectionExport(std::string dir, const std::string& layer4, EntryEndpoint a, EntryEndpoint b);
  ~ConnectionExport();
  // Appends the next pcap bytes (the file header before the first packet) until
  // `out` holds about `max_bytes` or `stop()` says so; true once every file is read.
  bool next(std::string& out, size_t max_bytes, const std::function<bool()>& stop);
  bool found() const { return link_type_ >= 0; }  // a packet so far

 private:
  bool matches(const Packet& p) const;

  std::vector<std::string> files_;
  size_t file_ = 0;
  std::unique_ptr<PcapSource> source_;
  uint8_t protocol_ = 0;
  EntryEndpoint a_, b_;
  int link_type_ = -1;
};

// The whole export at once; nothing when no packet is kept.
std::optional<std::string> export_connection(const std::string& dir, const std::string& layer4,
                                             const EntryEndpoint& a, const EntryEndpoint& b);

}  // namespace trawl
