#include "decode/defragmenter.h"

#include <algorithm>

namespace trawl {

namespace {
constexpr size_t kMaxDatagram = 65535 + 8;
}

void Defragmenter::expire(int64_t now_us) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_us - it->second.first_seen_us > limits_.timeout_us) {
      buffered_ -= it->second.bytes.size();
      ++counters_.timed_out;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

Bytes Defragmenter::add(const IpAddress& src, const IpAddress& dst, uint32_t id, uint8_t protocol,
                        uint32_t offset, bool more, Bytes data, int64_t now_us) {
  ++counters_.fragments;
  if ((counters_.fragments & 1023) == 0) expire(now_us);
  size_t end = size_t(offset) + data.size();
  if (end > kMaxDatagram) {
    ++counters_.malformed;
    return {};
  }
  Key key{src, dst, id, protocol};
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= limits_.max_datagrams) {
      ++counters_.cap_dropped;
      return {};
    }
    it = pending_.emplace(key, Datagram{}).first;
    it->second.first_seen_us = now_us;
  }
  Datagram& d = it->second;
  if (end > d.bytes.size()) {
    size_t grow = end - d.bytes.size();
    if (buffered_ + grow > limits_.max_bytes) {
      ++counters_.cap_dropped;
      return {};
    }
    buffered_ += grow;
    d.bytes.resize(end);
    d.have.resize(end);
  }
  // First copy wins for overlapping bytes, the same policy as TCP reassembly.
  for (size_t i = 0; i < data.size(); ++i) {
    if (!d.have[offset + i]) {
      d.bytes[offset + i] = data[i];
      d.have[offset + i] = true;
    }
  }
  if (!more) d.total = end;
  if (d.total == 0 || d.bytes.size() < d.total) return {};
  if (!std::all_of(d.have.begin(), d.have.begin() + d.total, [](bool b) { return b; })) return {};
  assembled_.assign(d.bytes.begin(), d.bytes.begin() + d.total);
  buffered_ -= d.bytes.size();
  pending_.erase(it);
  ++counters_.reassembled;
  return Bytes(assembled_);
}

}  // namespace trawl
