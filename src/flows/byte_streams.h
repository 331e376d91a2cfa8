// Connections whose bytes arrive without packets: a byte-stream source (eBPF
// TLS plaintext, read from the process's own buffers) names each connection by
// an id of its own and hands over its data, gaps and close. Each connection
// gets a StreamSession (the same detection and dissectors as TCP), and a
// `stream` id from a range of its own, above every packet flow's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "dissect/stream_session.h"
#include "entries/context.h"

namespace trawl {

struct ByteStreamSettings {
  bool tls = false;                // the bytes are TLS plaintext: entries say so (entry.md `tls`)
  std::string source;              // entry.md capture.source, e.g. ebpf_tls; empty: not set
  size_t probe_attempts = 8;       // as FlowLimits::probe_attempts
  size_t max_connections = 65536;  // past it the oldest is closed (counted)
};

class ByteStreams {
 public:
  // Packet flows number their streams from 1; these from kFirstStreamId.
  static constexpr uint64_t kFirstStreamId = uint64_t(1) << 62;

  ByteStreams(EntrySink& sink, DissectCounters& counters, const DissectorSettings& dissect,
              ByteStreamSettings settings = {});
  ~ByteStreams();

  // `client` opened the connection to `server`. Data for an id never opened
  // (a source that attached mid-connection) opens it, endpoints unknown.
  void open(uint64_t id, const EntryEndpoint& client, const EntryEndpoint& server, int64_t ts);
  void data(uint64_t id, Direction dir, Bytes bytes, int64_t ts);
  void gap(uint64_t id, Direction dir, uint64_t length, int64_t ts);
  void close(uint64_t id, int64_t ts);
  // Closes every connection (end of input) at the last time seen.
  void finish();

  size_t open_connections() const { return connections_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Connection;
  class Marker;  // sets tls and capture.source on the entries before the sink

  Connection* find(uint64_t id);

  std::unique_ptr<Marker> marker_;
  DissectCounters& counters_;
  const DissectorSettings& dissect_;
  ByteStreamSettings settings_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;  // by the source's id
  std::map<uint64_t, uint64_t> by_stream_;  // stream -> id: the oldest connection first
  uint64_t next_stream_ = kFirstStreamId;
  uint64_t evicted_ = 0;
  int64_t last_us_ = 0;
};

}  // namespace trawl
