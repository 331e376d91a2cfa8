// The packets behind entries: each capture thread writes the frames it sees to
// its own ring of pcapng files (no locks), bounded in bytes; the oldest file
// goes first. A connection's packets can be exported as a pcap later: flows
// are spread over threads by hash, so one thread's files hold all of them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "capture/pcap_source.h"
#include "entries/entry.h"

namespace trawl {

struct PacketRingSettings {
  std::string dir;
  uint64_t max_bytes = 256u << 20;  // this thread's share of the budget
  uint64_t file_bytes = 16u << 20;
};

class PacketRing {
 public:
  // Throws std::runtime_error when the directory cannot be written.
  PacketRing(PacketRingSettings settings, int thread);
  ~PacketRing();
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  void add(const Frame& frame);
  // Makes what was added visible to exports (called when the thread is idle).
  void flush();

 private:
  void open_next();
  void write(const void* data, size_t n);

  PacketRingSettings settings_;
  int thread_;
  uint64_t next_seq_ = 0;
  std::FILE* file_ = nullptr;
  std::string path_;
  uint64_t file_size_ = 0;
  std::map<int, uint32_t> interfaces_;  // link type -> interface id in the current file
  std::deque<std::pair<std::string, uint64_t>> closed_;  // oldest first, with sizes
  uint64_t total_bytes_ = 0;
};

// Every kept packet of the TCP/UDP connection between `a` and `b` (either
// direction), as the bytes of a pcap file; nothing when none is kept.
std::optional<std::string> export_connection(const std::string& dir, const std::string& layer4,
                                             const EntryEndpoint& a, const EntryEndpoint& b);

}  // namespace trawl
