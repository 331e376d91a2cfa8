#include "flows/tcp_reassembler.h"

#include <algorithm>
#include <utility>

namespace trawl {

TcpReassembler::~TcpReassembler() {
  release(buffered_);
}

void TcpReassembler::release(size_t n) {
  buffered_ -= n;
  if (memory_ && n) memory_->give(n);
}

void TcpReassembler::syn(uint32_t isn) {
  if (started_) return;
  started_ = true;
  next_seq_ = isn + 1;
}

void TcpReassembler::deliver(Bytes data, int64_t timestamp_us, Receiver& out) {
  next_seq_ += uint32_t(data.size());
  next_pos_ += int64_t(data.size());
  out.on_bytes(data, timestamp_us);
}

bool TcpReassembler::segment(uint32_t seq, Bytes payload, int64_t timestamp_us, Receiver& out) {
  if (payload.empty()) return false;
  ++counters_->segments;
  if (!started_) {
    started_ = true;
    next_seq_ = seq;
  }
  int64_t pos = position_of(seq);
  int64_t end = pos + int64_t(payload.size());
  if (end <= next_pos_) {
    ++counters_->retransmitted;
    return true;
  }
  if (pos < next_pos_) {
    ++counters_->overlaps;
    payload = payload.subspan(size_t(next_pos_ - pos));
    pos = next_pos_;
  }
  if (pos == next_pos_) {
    deliver(payload, timestamp_us, out);
    if (!pending_.empty()) drain(out);
    return false;
  }
  // Ahead of a hole: buffer the parts no earlier copy covers, within the caps.
  std::vector<std::pair<int64_t, int64_t>> pieces;  // [start, end) not yet buffered
  int64_t cur = pos;
  auto it = pending_.upper_bound(pos);
  if (it != pending_.begin()) {
    auto prev = std::prev(it);
    cur = std::max(cur, prev->first + int64_t(prev->second.bytes.size()));
  }
  for (; it != pending_.end() && it->first < end; ++it) {
    if (it->first > cur) pieces.emplace_back(cur, it->first);
    cur = std::max(cur, it->first + int64_t(it->second.bytes.size()));
  }
  if (cur < end) pieces.emplace_back(cur, end);
  if (pieces.empty()) {
    ++counters_->retransmitted;
    return true;
  }
  size_t grow = 0, new_bytes = 0;
  for (auto [from, to] : pieces) new_bytes += size_t(to - from);
  // Each buffered piece also costs a map node: counted, so that a flood of tiny
  // out-of-order segments hits the caps as bytes would.
  grow = new_bytes + pieces.size() * kPieceOverhead;
  if (!memory_->take(grow)) {
    ++counters_->global_cap_drops;
    counters_->global_cap_dropped_bytes += payload.size();
    return false;
  }
  if (new_bytes < payload.size()) ++counters_->overlaps;
  ++counters_->out_of_order;
  buffered_ += grow;
  for (auto [from, to] : pieces) {
    Pending& p = pending_[from];
    auto first = payload.begin() + (from - pos);
    p.bytes.assign(first, first + (to - from));
    p.timestamp_us = timestamp_us;
  }
  if (buffered_ > limits_->per_connection) {
    ++counters_->connection_cap_hits;
    skip_to_first_pending(timestamp_us, out);
  }
  return false;
}

void TcpReassembler::drain(Receiver& out) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    int64_t pos = it->first;
    if (pos > next_pos_) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    release(p.bytes.size() + kPieceOverhead);
    int64_t end = pos + int64_t(p.bytes.size());
    if (end <= next_pos_) {
      ++counters_->retransmitted;
      continue;
    }
    Bytes data(p.bytes);
    if (pos < next_pos_) {
      ++counters_->overlaps;
      data = data.subspan(size_t(next_pos_ - pos));
    }
    deliver(data, p.timestamp_us, out);
  }
}

void TcpReassembler::skip_to_first_pending(int64_t timestamp_us, Receiver& out) {
  if (pending_.empty()) return;
  int64_t hole = pending_.begin()->first - next_pos_;
  if (hole > 0) {
    ++counters_->gaps;
    counters_->gap_bytes += uint64_t(hole);
    next_seq_ += uint32_t(hole);
    next_pos_ += hole;
    out.on_gap(uint64_t(hole), timestamp_us);
  }
  drain(out);
}

void TcpReassembler::acknowledged(uint32_t ack, int64_t timestamp_us, Receiver& out) {
  if (!started_ || pending_.empty()) return;
  // The peer has everything up to `ack`; if that reaches buffered data the hole
  // before it will never be filled in this capture.
  while (!pending_.empty() && position_of(ack) > next_pos_ &&
         position_of(ack) >= pending_.begin()->first) {
    skip_to_first_pending(timestamp_us, out);
  }
}

void TcpReassembler::flush(int64_t timestamp_us, Receiver& out) {
  while (!pending_.empty()) skip_to_first_pending(timestamp_us, out);
}

}  // namespace trawl
