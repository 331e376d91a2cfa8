#include "flows/flow_table.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "dissect/registry.h"
#include "dissect/stream_session.h"

namespace trawl {

namespace {

enum FlowClass { kClosedClass = 0, kDatagramClass = 1, kTcpClass = 2 };

const char* sctp_chunk_name(uint8_t type) {
  switch (type) {
    case 0:
      return "DATA";
    case 1:
      return "INIT";
    case 2:
      return "INIT_ACK";
    case 3:
      return "SACK";
    case 4:
      return "HEARTBEAT";
    case 5:
      return "HEARTBEAT_ACK";
    case 6:
      return "ABORT";
    case 7:
      return "SHUTDOWN";
    case 8:
      return "SHUTDOWN_ACK";
    case 9:
      return "ERROR";
    case 10:
      return "COOKIE_ECHO";
    case 11:
      return "COOKIE_ACK";
    case 12:
      return "ECNE";
    case 13:
      return "CWR";
    case 14:
      return "SHUTDOWN_COMPLETE";
    case 15:
      return "AUTH";
    case 16:
      return "NR_SACK";
    case 64:
      return "I_DATA";
    case 128:
      return "ASCONF_ACK";
    case 130:
      return "RE_CONFIG";
    case 132:
      return "PAD";
    case 192:
      return "FORWARD_TSN";
    case 193:
      return "ASCONF";
    case 194:
      return "I_FORWARD_TSN";
  }
  return nullptr;
}

}  // namespace

struct FlowTable::SctpState {
  std::array<std::map<std::string, uint64_t>, 2> chunks;
  std::set<uint32_t> ppids;
};

// A UDP flow's last datagrams each way: capturing on every interface, a
// forwarded datagram is seen on each it crosses, with the same IPv4
// identification and bytes within microseconds; a client's own retry is a new
// datagram (another identification) and comes a second or more later.
struct FlowTable::RecentDatagrams {
  static constexpr int64_t kWindowUs = 10'000;
  struct Seen {
    size_t hash = 0;
    int64_t ts = INT64_MIN / 2;
    uint16_t ip_id = 0;
  };
  std::array<std::array<Seen, 4>, 2> seen;
  std::array<uint8_t, 2> next{};
  // True when the datagram was seen just before; else it is remembered.
  bool again(int d, const Packet& p) {
    std::string_view bytes(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
    size_t hash = std::hash<std::string_view>()(bytes);
    for (const Seen& s : seen[d])
      if (s.hash == hash && s.ip_id == p.ip_id && p.timestamp_us - s.ts <= kWindowUs &&
          s.ts - p.timestamp_us <= kWindowUs)
        return true;
    seen[d][next[d]++ % 4] = {hash, p.timestamp_us, p.ip_id};
    return false;
  }
};

// How long a first view to a virtual address waits for its twin (capture time).
constexpr int64_t kHoldForTwinUs = 300'000;

struct FlowTable::Flow {
  Key key;
  uint64_t stream = 0;  // ctx.stream as a number
  FlowContext ctx;
  IpAddress a_ip;
  uint16_t a_port = 0;
  uint8_t protocol = 0;
  FlowClass cls = kTcpClass;
  // Counters cover the interval since the last flow entry (IPFIX-style: a long
  // flow's entries share its stream id and add up to its totals).
  int64_t interval_start_us = 0, last_us = 0;
  std::array<uint64_t, 2> packets{}, bytes{}, payload_bytes{};
  bool had_payload = false;
  // TCP
  std::array<TcpReassembler, 2> tcp;
  std::array<bool, 2> syn{}, fin{};
  bool syn_ack = false, rst = false, closed = false, timed_out = false;
  uint32_t isn_a = 0;  // initiator's initial sequence number, from its SYN or the SYN-ACK
  bool isn_known = false;
  uint64_t retransmissions = 0;
  // NAT twins, when the table registers them: what the session emits passes
  // emit_for, but for a first view screened with no server to name (most).
  struct Twin : EntrySink {
    FlowTable* table = nullptr;
    Flow* flow = nullptr;
    void emit(Entry&& e) override {
      if (!later && !pending && !reached)
        table->sink_.emit(std::move(e));
      else
        table->emit_for(*flow, std::move(e));
    }
    uint64_t fingerprint = 0;              // the connection's
    bool later = false, pending = false;   // a later view; a first view not yet screened
    int64_t hold_until_us = 0;             // a first view to a virtual address: its wait
    std::optional<EntryEndpoint> reached;  // the server its twin named
    std::vector<Entry> held;               // its entries while it waits
  };
  std::unique_ptr<Twin> twin;
  std::optional<StreamSession> session;               // protocol detection and dissection
  std::unique_ptr<SctpState> sctp;                    // SCTP flows only: most flows need none of it
  std::unique_ptr<RecentDatagrams> recent_datagrams;  // UDP flows only

  Transport transport() const {
    return protocol == kTcp ? kOverTcp : protocol == kUdp ? kOverUdp : kOverSctp;
  }
};

size_t FlowTable::KeyHash::operator()(const Key& k) const {
  // A word at a time (every packet hashes its key): addresses folded to 64
  // bits each, then multiplied and mixed.
  auto fold = [](const IpAddress& ip) -> uint64_t {
    if (!ip.v6) {
      uint32_t v4;
      std::memcpy(&v4, ip.bytes.data(), 4);
      return v4;
    }
    uint64_t lo, hi;
    std::memcpy(&lo, ip.bytes.data(), 8);
    std::memcpy(&hi, ip.bytes.data() + 8, 8);
    return lo ^ (hi * 0xC2B2AE3D27D4EB4Full);
  };
  uint64_t rest = uint64_t(k.lo_port) << 24 | uint64_t(k.hi_port) << 8 | k.protocol;
  uint64_t h = fold(k.lo_ip) * 0x9E3779B97F4A7C15ull;
  h ^= fold(k.hi_ip) * 0xBF58476D1CE4E5B9ull;
  h ^= rest * 0x94D049BB133111EBull;
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93ull;
  return size_t(h ^ (h >> 32));
}

FlowTable::FlowTable(EntrySink& sink, DissectCounters& dissect_counters,
                     const DissectorSettings& settings, FlowLimits limits)
    : sink_(sink), dissect_counters_(dissect_counters), settings_(settings), limits_(limits) {
  if (!limits_.flows) {
    own_flows_ = std::make_unique<FlowBudget>(limits_.max_flows);
    limits_.flows = own_flows_.get();
  }
  if (!limits_.reassembly_memory) {
    own_reassembly_memory_ = std::make_unique<MemoryBudget>(limits_.reassembly.max_bytes);
    limits_.reassembly_memory = own_reassembly_memory_.get();
  }
}

// Flows (and their reassemblers) go before the budgets they give back to.
FlowTable::~FlowTable() {
  limits_.flows->count -= flows_.size();
  flows_.clear();
  for (auto& list : lru_) list.clear();
}

void FlowTable::pass_time(int64_t now) {
  if (now - last_sweep_us_ >= 1'000'000) {
    expire(now);
    last_sweep_us_ = now;
  }
}

void FlowTable::add(const Packet& p) {
  pass_time(p.timestamp_us);
  if (!holding_.empty()) release_held(p.timestamp_us);
  Direction dir;
  FlowList::iterator at = lookup(p, dir);
  Flow& f = *at;
  int d = int(dir);
  if (p.timestamp_us - f.interval_start_us >= limits_.report_interval_us) {
    emit_for(f, flow_entry(f, false));
    f.packets = f.bytes = f.payload_bytes = {};
    f.retransmissions = 0;
    if (f.sctp) *f.sctp = SctpState{};
    f.interval_start_us = p.timestamp_us;
  }
  f.last_us = std::max(f.last_us, p.timestamp_us);
  ++f.packets[d];
  f.bytes[d] += p.wire_length;
  f.payload_bytes[d] += p.payload.size();
  f.had_payload = f.had_payload || !p.payload.empty();
  auto& list = lru_[f.cls];
  list.splice(list.end(), list, at);
  switch (p.protocol) {
    case kTcp:
      tcp_packet(f, dir, p);
      break;
    case kUdp:
      if (p.payload.empty()) break;
      if (!f.recent_datagrams) f.recent_datagrams = std::make_unique<RecentDatagrams>();
      if (f.recent_datagrams->again(d, p))
        ++counters_.udp_duplicates;
      else
        f.session->on_data(dir, p.payload, p.timestamp_us);
      break;
    case kSctp:
      sctp_packet(f, dir, p);
      break;
  }
}

bool FlowTable::continues(const Flow& f, const Packet& p, Direction& dir) {
  bool from_a = f.a_ip == p.src && f.a_port == p.src_port;
  bool new_syn = p.protocol == kTcp && (p.tcp_flags & (kSyn | kAck)) == kSyn;
  // A new SYN on a finished connection, or with another initial sequence number,
  // is a new connection reusing the ports; a late copy of this connection's own
  // SYN is not.
  bool own_syn = f.isn_known && from_a && p.seq == f.isn_a;
  bool reused =
      new_syn && !own_syn && (f.closed || f.rst || f.fin[0] || f.fin[1] || (f.isn_known && from_a));
  dir = from_a ? Direction::kAtoB : Direction::kBtoA;
  return !reused;
}

FlowTable::FlowList::iterator FlowTable::lookup(const Packet& p, Direction& dir) {
  RecentFlow& recent = recent_[recent_slot(p.src_port, p.dst_port)];
  if (recent.set) {
    const Key& k = recent.it->key;
    bool same = k.protocol == p.protocol && ((k.lo_port == p.src_port && k.hi_port == p.dst_port &&
                                              k.lo_ip == p.src && k.hi_ip == p.dst) ||
                                             (k.lo_port == p.dst_port && k.hi_port == p.src_port &&
                                              k.lo_ip == p.dst && k.hi_ip == p.src));
    if (same && continues(*recent.it, p, dir)) return recent.it;
  }
  Key key;
  bool src_low = std::tie(p.src, p.src_port) < std::tie(p.dst, p.dst_port);
  key.lo_ip = src_low ? p.src : p.dst;
  key.hi_ip = src_low ? p.dst : p.src;
  key.lo_port = src_low ? p.src_port : p.dst_port;
  key.hi_port = src_low ? p.dst_port : p.src_port;
  key.protocol = p.protocol;
  auto it = flows_.find(key);
  if (it != flows_.end()) {
    if (continues(*it->second, p, dir)) {
      recent = {it->second, true};
      return it->second;
    }
    end(it->second, p.timestamp_us);
  }
  Flow& f = create(p, key);
  dir = f.a_ip == p.src && f.a_port == p.src_port ? Direction::kAtoB : Direction::kBtoA;
  recent = {flows_.at(key), true};
  return recent.it;
}

FlowTable::Flow& FlowTable::create(const Packet& p, const Key& key) {
  // Over the process's flow budget, this table makes room among its own flows
  // (a table with none creates it anyway: at most one flow per table over).
  if (limits_.flows->count >= limits_.flows->max && !flows_.empty()) {
    // Evict the least recently active flow, closed ones first.
    FlowList* victim = nullptr;
    for (auto& list : lru_) {
      if (list.empty()) continue;
      if (!victim ||
          (victim != &lru_[kClosedClass] && list.front().last_us < victim->front().last_us))
        victim = &list;
    }
    ++counters_.flows_evicted_by_cap;
    end(victim->begin(), p.timestamp_us);
  }
  bool a_is_src = true;
  if (p.protocol == kTcp) {
    if ((p.tcp_flags & (kSyn | kAck)) == (kSyn | kAck))
      a_is_src = false;
    else if (!(p.tcp_flags & kSyn))
      a_is_src = p.src_port >= p.dst_port;  // mid-stream: the lower port is likely the server
  }
  uint64_t stream = p.new_stream_id;
  if (auto r = timed_out_.find(key); r != timed_out_.end()) {
    if (!(p.tcp_flags & kSyn)) {
      stream = r->second.stream;
      a_is_src = r->second.a_ip == p.src && r->second.a_port == p.src_port;
    }
    timed_out_.erase(r);
  }
  FlowClass cls = p.protocol == kTcp ? kTcpClass : kDatagramClass;
  auto& list = lru_[cls];
  list.emplace_back();
  Flow& f = list.back();
  flows_.emplace(key, std::prev(list.end()));
  ++limits_.flows->count;
  f.key = key;
  f.cls = cls;
  f.protocol = p.protocol;
  f.a_ip = a_is_src ? p.src : p.dst;
  f.a_port = a_is_src ? p.src_port : p.dst_port;
  f.interval_start_us = f.last_us = p.timestamp_us;
  f.stream = stream;
  f.ctx.stream = std::to_string(stream);
  f.ctx.a = {f.a_ip.to_string(), f.a_port};
  f.ctx.b = {(a_is_src ? p.dst : p.src).to_string(), a_is_src ? p.dst_port : p.src_port};
  switch (p.protocol) {
    case kTcp:
      f.ctx.layer4 = "tcp";
      ++counters_.tcp_flows;
      break;
    case kUdp:
      f.ctx.layer4 = "udp";
      f.ctx.datagrams = true;
      ++counters_.udp_flows;
      break;
    default:
      f.ctx.layer4 = "sctp";
      f.sctp = std::make_unique<SctpState>();
      ++counters_.sctp_flows;
  }
  for (auto& r : f.tcp)
    r.set_budget(limits_.reassembly_memory, &limits_.reassembly, &counters_.reassembly);
  if (limits_.nat_twins) {
    f.twin = std::make_unique<Flow::Twin>();
    f.twin->table = this, f.twin->flow = &f;
  }
  f.session.emplace(f.ctx, f.transport(), f.twin ? *f.twin : sink_, dissect_counters_, settings_,
                    limits_.probe_attempts);
  if (p.protocol == kUdp && !p.payload.empty()) {  // a datagram's view: its first datagram
    std::string_view first(reinterpret_cast<const char*>(p.payload.data()),
                           std::min<size_t>(p.payload.size(), 512));
    register_view(f, std::hash<std::string_view>()(first) ^ p.payload.size(), p.timestamp_us);
  }
  return f;
}

// Hands one direction's ordered bytes and gaps to the flow's stream session.
struct FlowTable::DirectionReceiver : TcpReassembler::Receiver {
  DirectionReceiver(Flow& f, Direction d) : flow(f), dir(d) {}
  void on_bytes(Bytes data, int64_t ts) override { flow.session->on_data(dir, data, ts); }
  void on_gap(uint64_t length, int64_t ts) override { flow.session->on_gap(dir, length, ts); }
  Flow& flow;
  Direction dir;
};

void FlowTable::tcp_packet(Flow& f, Direction dir, const Packet& p) {
  int d = int(dir);
  if (f.closed) return;
  DirectionReceiver rx(f, dir);
  if (p.tcp_flags & kSyn) {
    if (!f.syn[d]) {
      f.tcp[d].syn(p.seq);
      if (dir == Direction::kAtoB) {
        f.isn_a = p.seq;
        f.isn_known = true;
        register_view(f, p.seq, p.timestamp_us);
      }
    }
    f.syn[d] = true;
    if (p.tcp_flags & kAck) {
      f.syn_ack = true;
      if (dir == Direction::kBtoA && !f.isn_known) {
        f.isn_a = p.ack - 1;
        f.isn_known = true;
        register_view(f, f.isn_a, p.timestamp_us);
      }
    }
  }
  if (!p.payload.empty()) {
    Bytes payload = p.payload;
    uint32_t seq = p.seq + ((p.tcp_flags & kSyn) ? 1 : 0);
    if (f.tcp[d].segment(seq, payload, p.timestamp_us, rx)) ++f.retransmissions;
  }
  if (p.tcp_flags & kAck) {
    DirectionReceiver peer(f, opposite(dir));
    f.tcp[1 - d].acknowledged(p.ack, p.timestamp_us, peer);
  }
  if (p.tcp_flags & kFin) f.fin[d] = true;
  if (p.tcp_flags & kRst) f.rst = true;
  if (f.rst || (f.fin[0] && f.fin[1])) close(f, p.timestamp_us);
}

void FlowTable::sctp_packet(Flow& f, Direction dir, const Packet& p) {
  int d = int(dir);
  Bytes rest = p.payload;
  while (rest.size() >= 4) {
    uint8_t type = rest[0];
    uint16_t len = load_be16(&rest[2]);
    if (len < 4 || len > rest.size()) {
      ++counters_.sctp_malformed_chunks;
      break;
    }
    const char* name = sctp_chunk_name(type);
    ++f.sctp->chunks[d][name ? std::string(name) : "CHUNK" + std::to_string(type)];
    if (type == 0 && len >= 16) {  // DATA: TSN, stream id, stream seq, PPID, user data
      f.sctp->ppids.insert(load_be32(&rest[12]));
      f.session->on_data(dir, rest.subspan(16, len - 16), p.timestamp_us);
    }
    size_t padded = (size_t(len) + 3) & ~size_t(3);
    if (padded >= rest.size()) break;
    rest = rest.subspan(padded);
  }
}

void FlowTable::close(Flow& f, int64_t ts) {
  if (f.closed) return;
  f.closed = true;
  for (int d = 0; d < 2; ++d) {
    DirectionReceiver rx(f, Direction(d));
    f.tcp[d].flush(ts, rx);
  }
  f.session->on_close(ts);
  if (f.cls != kClosedClass) {
    auto& to = lru_[kClosedClass];
    to.splice(to.end(), lru_[f.cls], flows_.at(f.key));
    f.cls = kClosedClass;
  }
}

void FlowTable::end(FlowList::iterator it, int64_t ts) {
  Flow& f = *it;
  close(f, std::min(ts, f.last_us));
  if (f.session->protocol().empty() && f.had_payload) ++counters_.undetected_flows;
  settle(f, ts, true);
  Entry e = flow_entry(f, true);
  bool keep = screen(f, e);
  f.session.reset();
  flows_.erase(f.key);
  if (RecentFlow& r = recent_[recent_slot(f.key.lo_port, f.key.hi_port)]; r.set && r.it == it)
    r.set = false;
  --limits_.flows->count;
  lru_[f.cls].erase(it);
  if (keep) sink_.emit(std::move(e));
}

void FlowTable::register_view(Flow& f, uint64_t fingerprint, int64_t ts) {
  if (!f.twin) return;
  Flow::Twin& t = *f.twin;
  NatTwins& twins = *limits_.nat_twins;
  t.fingerprint = fingerprint;
  t.later = twins.is_twin(f.ctx.a, fingerprint, f.ctx.b, ts);
  t.pending = !t.later;
  if (t.later) ++counters_.nat_twins;
  if (t.pending && twins.is_virtual && twins.is_virtual(f.ctx.b, ts)) {
    t.hold_until_us = ts + kHoldForTwinUs;
    holding_.push_back(&f);
  }
}

// A first view is screened at its entries: when its twin has registered (the
// view after the NAT, captured microseconds later), its entries name the
// server reached. One to a virtual address holds its entries until the twin
// is seen, for at most kHoldForTwinUs: another capture thread may take it later.
bool FlowTable::screen(Flow& f, Entry& e) {
  if (!f.twin) return true;
  Flow::Twin& t = *f.twin;
  if (t.later) return false;
  if (t.pending && t.hold_until_us && !settle(f, e.timestamp_us, false)) {
    t.held.push_back(std::move(e));
    return false;
  }
  if (t.pending) {
    t.pending = false;
    t.reached = limits_.nat_twins->reached(f.ctx.a, t.fingerprint);
  }
  if (t.reached) rename_server(f, e, *t.reached);
  return true;
}

bool FlowTable::settle(Flow& f, int64_t now, bool force) {
  if (!f.twin || !f.twin->pending) return true;
  Flow::Twin& t = *f.twin;
  t.reached = limits_.nat_twins->reached(f.ctx.a, t.fingerprint);
  if (!t.reached && !force && now < t.hold_until_us) return false;
  t.pending = false;
  std::erase(holding_, &f);
  for (Entry& e : t.held) {
    if (t.reached) rename_server(f, e, *t.reached);
    sink_.emit(std::move(e));
  }
  t.held.clear();
  return true;
}

void FlowTable::rename_server(Flow& f, Entry& e, const EntryEndpoint& reached) {
  for (EntryEndpoint* ep : {&e.src, &e.dst})
    if (ep->ip == f.ctx.b.ip && ep->port == f.ctx.b.port) *ep = reached;
}

Entry FlowTable::flow_entry(const Flow& f, bool final) const {
  Entry e;
  e.protocol = f.ctx.layer4;
  e.layer4 = f.ctx.layer4;
  e.src = f.ctx.a;
  e.dst = f.ctx.b;
  e.timestamp_us = f.interval_start_us;
  e.elapsed_ms = double(f.last_us - f.interval_start_us) / 1000.0;
  e.stream = f.ctx.stream;
  e.request_size = f.payload_bytes[0];
  e.response_size = f.payload_bytes[1];
  Json* sides[2] = {&e.request, &e.response.emplace(Json::object())};
  for (int d = 0; d < 2; ++d) {
    sides[d]->set("packets", f.packets[d]);
    sides[d]->set("bytes", f.bytes[d]);
    sides[d]->set("payloadBytes", f.payload_bytes[d]);
    if (f.protocol == kSctp) {
      Json chunks = Json::object();
      for (const auto& [name, n] : f.sctp->chunks[d]) chunks.set(name, n);
      sides[d]->set("chunks", std::move(chunks));
    }
  }
  if (f.protocol == kTcp) {
    const char* state = f.rst                   ? "reset"
                        : f.fin[0] && f.fin[1]  ? "closed"
                        : f.fin[0] || f.fin[1]  ? "half-closed"
                        : f.timed_out           ? "timeout"
                        : !final                ? "active"
                        : f.syn[0] && f.syn_ack ? "established"
                        : f.syn[0]              ? "handshake"
                                                : "midstream";
    e.request.set("state", state);
    Json flags = Json::array();
    if (f.syn[0] || f.syn[1]) flags.push("SYN");
    if (f.syn_ack) flags.push("SYN-ACK");
    if (f.fin[0] || f.fin[1]) flags.push("FIN");
    if (f.rst) flags.push("RST");
    e.request.set("flags", std::move(flags));
    e.request.set("retransmissions", f.retransmissions);
  } else if (f.protocol == kSctp) {
    Json ppids = Json::array();
    for (uint32_t id : f.sctp->ppids) ppids.push(id);
    e.request.set("ppids", std::move(ppids));
  }
  Json l7 = Json::array();
  if (!f.session->protocol().empty()) l7.push(std::string(f.session->protocol()));
  e.request.set("l7", std::move(l7));
  if (!final) e.request.set("interim", true);
  return e;
}

void FlowTable::release_held(int64_t now) {
  if (holding_.empty()) return;
  for (size_t i = holding_.size(); i-- > 0;)
    if (i < holding_.size()) settle(*holding_[i], now, false);
}

void FlowTable::expire(int64_t now) {
  release_held(now);
  const int64_t timeouts[3] = {limits_.closed_linger_us, limits_.udp_timeout_us,
                               limits_.tcp_timeout_us};
  std::vector<FlowList::iterator> idle;
  for (int c = 0; c < 3; ++c)
    for (auto it = lru_[c].begin(); it != lru_[c].end() && now - it->last_us > timeouts[c]; ++it)
      idle.push_back(it);
  if (idle.empty()) return;
  end_in_stream_order(idle, [&](Flow& f) {
    if (f.cls != kClosedClass) {
      f.timed_out = true;
      ++counters_.timed_out;
      if (timed_out_order_.size() >= limits_.max_resumable) {
        timed_out_.erase(timed_out_order_.front());
        timed_out_order_.pop_front();
      }
      timed_out_[f.key] = Resumable{f.stream, f.a_ip, f.a_port};
      timed_out_order_.push_back(f.key);
    }
    return now;
  });
}

void FlowTable::finish() {
  std::vector<FlowList::iterator> all;
  all.reserve(flows_.size());
  for (auto& list : lru_)
    for (auto it = list.begin(); it != list.end(); ++it) all.push_back(it);
  end_in_stream_order(all, [](Flow& f) { return f.last_us; });
}

template <typename F>
void FlowTable::end_in_stream_order(std::vector<FlowList::iterator>& flows, F&& before_end) {
  std::sort(flows.begin(), flows.end(),
            [](FlowList::iterator a, FlowList::iterator b) { return a->stream < b->stream; });
  ending_in_stream_order_ = true;
  for (auto it : flows) end(it, before_end(*it));
  ending_in_stream_order_ = false;
}

}  // namespace trawl
