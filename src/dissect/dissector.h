// The seam between flows and protocols: every protocol implements this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/counters.h"
#include "base/memory_budget.h"
#include "entries/entry.h"

namespace trawl {

// Direction of bytes on a flow. kAtoB is from the initiator (SYN sender, or the
// first packet's sender when the start was not captured) to its peer.
enum class Direction : uint8_t { kAtoB = 0, kBtoA = 1 };
inline Direction opposite(Direction d) {
  return d == Direction::kAtoB ? Direction::kBtoA : Direction::kAtoB;
}

struct FlowContext {
  std::string stream;      // entry.md `stream`
  std::string layer4;      // tcp, udp, sctp
  EntryEndpoint a, b;      // initiator and peer
  bool datagrams = false;  // each on_data call is one whole datagram (UDP)

  const EntryEndpoint& sender(Direction d) const { return d == Direction::kAtoB ? a : b; }
  const EntryEndpoint& receiver(Direction d) const { return d == Direction::kAtoB ? b : a; }
};

// Counters every dissector reports into; the pipeline prints them with --stats.
#define TRAWL_DISSECT_COUNTERS(X)                                                            \
  X(messages, "entries", "messages", "", "Protocol messages dissected.")                     \
  X(malformed, "loss", "malformed_messages", "trawl_malformed_messages_total",               \
    "Messages that could not be parsed.")                                                    \
  X(resyncs, "loss", "resyncs", "", "Times a parser skipped bytes to find a message start.") \
  X(gap_entries, "loss", "gap_entries", "trawl_gap_entries_total",                           \
    "Entries marked gap in stream.")                                                         \
  X(unpaired, "loss", "unpaired", "trawl_unpaired_total",                                    \
    "Requests without a response and responses without a request.")                          \
  X(messages_truncated, "loss", "messages_truncated", "",                                    \
    "Messages longer than their cap, decoded as far as kept.")                               \
  X(body_truncated, "loss", "bodies_truncated", "trawl_bodies_truncated_total",              \
    "Bodies (or listed records) cut at their cap.")                                          \
  X(budget_drops, "loss", "memory_budget_drops", "trawl_memory_budget_drops_total",          \
    "Bodies, heads or messages not kept: the memory budget was spent.")                      \
  X(pipeline_evictions, "loss", "pipeline_evictions", "trawl_pipeline_evictions_total",      \
    "Requests sent out unanswered: more were in flight than kept.")

struct DissectCounters {
  TRAWL_DISSECT_COUNTERS(TRAWL_COUNTER_MEMBER)
};
TRAWL_COUNTER_FIELDS(DissectCounters, TRAWL_DISSECT_COUNTERS)

class ProtoSchema;

struct DissectorSettings {
  // What every dissector of the process holds between packets (bodies, messages
  // waiting for a reply, partial messages); nullptr: unbounded (tests).
  MemoryBudget* memory = nullptr;
  size_t max_body = 64 * 1024;                // decoded body kept per message
  const ProtoSchema* proto_schema = nullptr;  // gRPC messages by name, when given
  size_t max_header_block = 64 * 1024;        // bytes of a message head before giving up on it
  size_t max_pending = 256;  // requests waiting for a response per connection (paired by id)
  // Protocols that pair replies in order (Redis): requests in flight per
  // connection, and the bytes of their content. Past the count the oldest goes
  // out unanswered and its reply is known for what it is when it comes (pairs
  // never shift); past the bytes, new requests wait without their content.
  size_t max_in_flight = 65536;
  size_t max_pending_bytes = 4 << 20;
  size_t max_message = 8u << 20;  // bytes of one length-prefixed message kept to decode it (Kafka)
  size_t max_records = 100;       // Kafka records listed per message (all are counted)
};

class StreamDissector {
 public:
  virtual ~StreamDissector() = default;
  // Ordered bytes of one direction (for datagram flows, one datagram).
  virtual void on_data(Direction dir, Bytes data, int64_t timestamp_us) = 0;
  // `length` bytes of this direction were lost before the next on_data.
  virtual void on_gap(Direction dir, uint64_t length, int64_t timestamp_us) = 0;
  // The flow ended (FIN/RST, timeout or end of input): emit what is pending.
  virtual void on_close(int64_t timestamp_us) = 0;
};

// The session a dissector runs in (dissect/stream_session). A connection that
// switches protocols (HTTP 101 or CONNECT, LDAP StartTLS) is handed over
// through it: the next protocol's dissector gets the connection's bytes from
// then on, the current one only the close (to emit what it still holds).
class ProtocolSwitch {
 public:
  virtual void switch_to(std::unique_ptr<StreamDissector> next) = 0;
  // Bytes of `dir` after the switch that reached the previous dissector in the
  // same chunk, for the next one.
  virtual void forward(Direction dir, Bytes rest, int64_t timestamp_us) = 0;

 protected:
  ~ProtocolSwitch() = default;
};

struct DissectorEnv {
  const FlowContext& flow;
  EntrySink& sink;
  DissectCounters& counters;
  const DissectorSettings& settings;
  ProtocolSwitch* session = nullptr;  // null: the connection cannot switch protocols
};

enum class Probe { kNo, kMaybe, kYes };

// What an HTTP/1.1 connection that switched protocols (101) hands to the next
// protocol's dissector.
struct UpgradeContext {
  Direction client = Direction::kAtoB;
  std::vector<std::pair<std::string, std::string>> request_headers, response_headers;
  std::string method, target;
  int64_t timestamp_us = 0;  // the 101 response
  // Set by the protocol taking over: what the handshake got wrong (the 101's
  // entry says so; the bytes that follow are dissected all the same).
  std::string handshake_error;
};

enum Transport : uint8_t { kOverTcp = 1, kOverUdp = 2, kOverSctp = 4 };

struct ProtocolInfo {
  std::string_view name;        // entry.md protocol.name
  uint8_t transports;           // Transport bits
  std::vector<uint16_t> ports;  // well-known ports: only a tie-breaker between probes
  // Looks at the first bytes one direction sent: cheap, no allocation.
  Probe (*probe)(Bytes first, Direction dir);
  std::unique_ptr<StreamDissector> (*create)(const DissectorEnv& env);
  // The HTTP/1.1 `Upgrade` token this protocol takes over from (empty: none).
  std::string_view upgrade_token = {};
  std::unique_ptr<StreamDissector> (*create_upgraded)(const DissectorEnv& env,
                                                      UpgradeContext& upgrade) = nullptr;
};

}  // namespace trawl
