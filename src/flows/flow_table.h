// Owns every TCP, UDP and SCTP flow: orders TCP bytes, hands each flow's
// bytes, gaps and close to its stream session (which detects the protocol and
// dissects), and emits a flow entry when the flow ends.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "decode/packet.h"
#include "dissect/dissector.h"
#include "flows/nat_twins.h"
#include "flows/tcp_reassembler.h"

namespace trawl {

// Flows tracked at once, over every flow table that shares it (a worker's
// capture threads): a SYN flood's memory does not grow with the cores.
struct FlowBudget {
  explicit FlowBudget(size_t limit) : max(limit) {}
  const size_t max;
  std::atomic<size_t> count{0};
};

struct FlowLimits {
  size_t max_flows = 65536;                 // flows tracked at once (when no FlowBudget is shared)
  int64_t tcp_timeout_us = 600'000'000;     // idle TCP connection
  int64_t udp_timeout_us = 120'000'000;     // idle UDP/SCTP flow
  int64_t closed_linger_us = 10'000'000;    // a closed TCP connection stays to absorb stragglers
  size_t probe_attempts = 8;                // data chunks per direction offered to the probes
  size_t max_resumable = 65536;             // timed-out flows remembered to continue their stream
  int64_t report_interval_us = 60'000'000;  // a long flow gets an entry per interval
  ReassemblyBudget reassembly;
  // Shared with other flow tables of the process; each table makes its own when none is given.
  FlowBudget* flows = nullptr;
  MemoryBudget* reassembly_memory = nullptr;
  // Shared by a worker's flow tables when names are on: a Service call seen
  // before and after its DNAT makes one set of entries.
  NatTwins* nat_twins = nullptr;
};

#define TRAWL_FLOW_COUNTERS(X)                                                         \
  X(tcp_flows, "flows", "tcp", "trawl_tcp_flows_total", "TCP connections seen.")       \
  X(udp_flows, "flows", "udp", "trawl_udp_flows_total", "UDP flows seen.")             \
  X(sctp_flows, "flows", "sctp", "trawl_sctp_flows_total", "SCTP associations seen.")  \
  X(timed_out, "flows", "timed_out", "", "Flows ended by their idle timeout.")         \
  X(undetected_flows, "flows", "undetected_l7", "trawl_undetected_flows_total",        \
    "Flows with payload whose protocol was not recognised.")                           \
  X(flows_evicted_by_cap, "loss", "flows_evicted_by_cap", "trawl_flows_evicted_total", \
    "Flows ended early to respect max_flows.")                                         \
  X(sctp_malformed_chunks, "loss", "sctp_malformed_chunks", "",                        \
    "SCTP chunks that could not be read.")                                             \
  X(nat_twins, "flows", "nat_twins", "trawl_nat_twins_total",                          \
    "Connections seen again after a NAT (a Service's DNAT): one set of entries.")      \
  X(udp_duplicates, "flows", "udp_duplicates", "",                                     \
    "UDP datagrams seen again on another interface (capturing on every one): dissected once.")

struct FlowCounters {
  TRAWL_FLOW_COUNTERS(TRAWL_COUNTER_MEMBER)
  ReassemblyCounters reassembly;
};
TRAWL_COUNTER_FIELDS(FlowCounters, TRAWL_FLOW_COUNTERS)

class FlowTable {
 public:
  FlowTable(EntrySink& sink, DissectCounters& dissect_counters, const DissectorSettings& settings,
            FlowLimits limits = {});
  ~FlowTable();

  void add(const Packet& p);
  // A packet another pipeline dissects: its time still ends idle flows here, at
  // the same packets as in a single pipeline.
  void pass_time(int64_t now);
  // End of input: close every flow, in the order of their stream ids.
  void finish();
  // Closes flows idle for longer than their timeout (packets also do this as
  // they arrive; live capture calls it when none do).
  void expire(int64_t now);

  const FlowCounters& counters() const { return counters_; }
  // Flows are being ended by time or at the end of input, in the order of their
  // stream ids (not as packets end them): what they emit now is in that order.
  bool ending_in_stream_order() const { return ending_in_stream_order_; }
  size_t active_flows() const { return flows_.size(); }

 private:
  struct Key {
    IpAddress lo_ip, hi_ip;
    uint16_t lo_port, hi_port;
    uint8_t protocol;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Flow;
  struct SctpState;
  struct RecentDatagrams;
  struct DirectionReceiver;
  using FlowList = std::list<Flow>;

  FlowList::iterator lookup(const Packet& p, Direction& dir);
  // Whether `p` continues flow `f` (not a new connection on its ports); sets `dir`.
  static bool continues(const Flow& f, const Packet& p, Direction& dir);
  Flow& create(const Packet& p, const Key& key);
  void tcp_packet(Flow& f, Direction dir, const Packet& p);
  void sctp_packet(Flow& f, Direction dir, const Packet& p);
  void close(Flow& f, int64_t ts);
  void end(FlowList::iterator it, int64_t ts);
  // Ends `flows` by stream id; `before_end(flow)` returns the time each ends at.
  template <typename F>
  void end_in_stream_order(std::vector<FlowList::iterator>& flows, F&& before_end);
  Entry flow_entry(const Flow& f, bool final) const;
  // NAT twins: registers a flow's view of its connection; emits an entry of
  // it, unless the flow is a twin (then counted), naming the server reached.
  void register_view(Flow& f, uint64_t fingerprint, int64_t ts);
  bool screen(Flow& f, Entry& e);
  // A first view to a virtual address: whether its twin named the server
  // reached yet; when it did or the wait is over (or `force`), its held
  // entries go out. True once settled.
  bool settle(Flow& f, int64_t now, bool force);
  void rename_server(Flow& f, Entry& e, const EntryEndpoint& reached);
  void release_held(int64_t now);
  void emit_for(Flow& f, Entry&& e) {
    if (screen(f, e)) sink_.emit(std::move(e));
  }

  EntrySink& sink_;
  DissectCounters& dissect_counters_;
  const DissectorSettings& settings_;
  FlowLimits limits_;
  std::unique_ptr<FlowBudget> own_flows_;
  std::unique_ptr<MemoryBudget> own_reassembly_memory_;
  FlowCounters counters_;
  std::array<FlowList, 3> lru_;  // closed, UDP/SCTP, TCP: least recently active first
  std::unordered_map<Key, FlowList::iterator, KeyHash> flows_;
  // The flows of recent packets, a slot by their ports: a busy flow's packets
  // find it here without hashing addresses or walking the table.
  struct RecentFlow {
    FlowList::iterator it;
    bool set = false;
  };
  static constexpr size_t kRecentFlows = 64;
  static size_t recent_slot(uint16_t port_a, uint16_t port_b) {
    return (port_a ^ port_b) % kRecentFlows;  // either direction, the same slot
  }
  std::array<RecentFlow, kRecentFlows> recent_{};
  // Flows that timed out while still open: a later packet of the same flow
  // continues it under the same stream id (a long idle connection is one stream).
  struct Resumable {
    uint64_t stream;
    IpAddress a_ip;
    uint16_t a_port;
  };
  std::unordered_map<Key, Resumable, KeyHash> timed_out_;
  std::deque<Key> timed_out_order_;  // oldest first, to bound timed_out_
  int64_t last_sweep_us_ = 0;
  std::vector<Flow*> holding_;  // first views holding entries for their twin
  bool ending_in_stream_order_ = false;
};

}  // namespace trawl
