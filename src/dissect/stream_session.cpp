#include "dissect/stream_session.h"

#include "dissect/registry.h"

namespace trawl {

namespace {

constexpr size_t kMaxProbeHeld = 16 * 1024;  // first bytes kept per direction while undecided

}  // namespace

StreamSession::StreamSession(const FlowContext& flow, Transport transport, EntrySink& sink,
                             DissectCounters& counters, const DissectorSettings& settings,
                             size_t probe_attempts)
    : env_{flow, sink, counters, settings, this},
      transport_(transport),
      probe_attempts_(probe_attempts) {
  for (auto& h : held_) h.share = BudgetShare(settings.memory);
}

StreamSession::StreamSession(const FlowContext& flow, Transport transport, EntrySink& sink,
                             DissectCounters& counters, const DissectorSettings& settings,
                             const ProtocolInfo& protocol)
    : StreamSession(flow, transport, sink, counters, settings, 0) {
  protocol_ = protocol.name;
  dissector_ = protocol.create(env_);
}

void StreamSession::on_data(Direction dir, Bytes bytes, int64_t ts) {
  if (dissector_) return dissector_->on_data(dir, bytes, ts);
  if (!undetected_ && !bytes.empty()) detect(dir, bytes, ts);
}

void StreamSession::on_gap(Direction dir, uint64_t length, int64_t ts) {
  if (dissector_) dissector_->on_gap(dir, length, ts);
}

void StreamSession::on_close(int64_t ts) {
  for (int d = 0; d < 2 && !dissector_ && !undetected_; ++d) {
    Held& held = held_[d];
    if (held.bytes.empty()) continue;
    bool maybe = false;
    if (const ProtocolInfo* p = detect_protocol(Bytes(held.bytes), Direction(d), transport_,
                                                env_.flow.a.port, env_.flow.b.port, true, &maybe)) {
      std::vector<uint8_t> first = std::move(held.bytes);
      held.bytes.clear();
      start(*p, Direction(d), Bytes(first), held.since_us);
    }
  }
  for (auto& previous : handed_over_) previous->on_close(ts);
  if (dissector_) dissector_->on_close(ts);
}

// Called from inside the current dissector: it is kept (for its close), not destroyed.
void StreamSession::switch_to(std::unique_ptr<StreamDissector> next) {
  if (!next) return;
  handed_over_.push_back(std::move(dissector_));
  dissector_ = std::move(next);
}

void StreamSession::forward(Direction dir, Bytes rest, int64_t ts) {
  if (dissector_ && !rest.empty()) dissector_->on_data(dir, rest, ts);
}

// On a byte stream, chunks a probe cannot decide on yet (Maybe) are kept and
// probed again joined with the next one, so a first message split across
// segments is still recognised, and none of its bytes are lost.
void StreamSession::detect(Direction dir, Bytes bytes, int64_t ts) {
  Held& held = held_[int(dir)];
  bool final_attempt = ++held.tries >= probe_attempts_;
  Bytes candidate = bytes;
  if (!held.bytes.empty()) {
    held.bytes.insert(held.bytes.end(), bytes.begin(), bytes.end());
    candidate = Bytes(held.bytes);
  }
  bool maybe = false;
  uint16_t port_a = env_.flow.a.port, port_b = env_.flow.b.port;
  const ProtocolInfo* p =
      detect_protocol(candidate, dir, transport_, port_a, port_b, final_attempt, &maybe);
  if (!p && !maybe && candidate.size() != bytes.size()) {
    // The held bytes led nowhere: this chunk may still start a message.
    held.bytes.clear();
    candidate = bytes;
    p = detect_protocol(candidate, dir, transport_, port_a, port_b, final_attempt, &maybe);
  }
  if (p) return start(*p, dir, candidate, candidate.size() == bytes.size() ? ts : held.since_us);
  keep_undecided(held, bytes, ts, maybe, candidate.size());
}

void StreamSession::keep_undecided(Held& held, Bytes bytes, int64_t ts, bool maybe,
                                   size_t candidate_size) {
  if (maybe && !env_.flow.datagrams && candidate_size <= kMaxProbeHeld) {
    if (held.bytes.empty()) {
      held.bytes.assign(bytes.begin(), bytes.end());
      held.since_us = ts;
    }
  } else {
    std::vector<uint8_t>().swap(held.bytes);
  }
  if (held_[0].tries >= probe_attempts_ && held_[1].tries >= probe_attempts_) {
    undetected_ = true;
    for (auto& h : held_) std::vector<uint8_t>().swap(h.bytes);
  }
  // Held bytes the memory budget refuses are let go: the first message may then
  // go unrecognised (counted as a refusal).
  if (!held.share.resize(held.bytes.capacity())) std::vector<uint8_t>().swap(held.bytes);
  if (undetected_)
    for (auto& h : held_) h.share.resize(0);
}

void StreamSession::start(const ProtocolInfo& p, Direction dir, Bytes first, int64_t first_us) {
  protocol_ = p.name;
  dissector_ = p.create(env_);
  dissector_->on_data(dir, first, first_us);
  Held& other = held_[int(opposite(dir))];
  if (!other.bytes.empty()) dissector_->on_data(opposite(dir), Bytes(other.bytes), other.since_us);
  for (auto& h : held_) {
    std::vector<uint8_t>().swap(h.bytes);
    h.share.resize(0);
  }
}

}  // namespace trawl
