#include "pipeline/flow_sharder.h"

#include <cstring>

namespace trawl {

namespace {

uint64_t endpoint_word(const IpAddress& ip, uint16_t port) {
  uint64_t a, b;
  std::memcpy(&a, ip.bytes.data(), 8);
  std::memcpy(&b, ip.bytes.data() + 8, 8);
  uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b + 0xC2B2AE3D27D4EB4Full + (a << 6));
  return (h ^ port) * 0xFF51AFD7ED558CCDull;
}

}  // namespace

FlowSharder::FlowSharder(uint32_t shards, int64_t forget_after_us)
    : shards_(shards), forget_after_us_(forget_after_us) {}

uint32_t FlowSharder::shard_of(const Packet& p) {
  if (shards_ <= 1 || p.protocol == kIcmp || p.protocol == kIcmpv6) return 0;
  // The same for both directions: the two endpoints are combined symmetrically.
  uint64_t x = endpoint_word(p.src, p.src_port), y = endpoint_word(p.dst, p.dst_port);
  uint64_t key = (x + y) ^ ((x ^ y) >> 17) ^ (uint64_t(p.protocol) << 56);
  auto [it, fresh] = slots_.try_emplace(key, Slot{0, p.timestamp_us});
  if (fresh) {
    it->second.shard = next_;
    next_ = (next_ + 1) % shards_;
    if (slots_.size() >= forget_at_size_) forget_idle(p.timestamp_us);
  }
  it->second.last_us = p.timestamp_us;
  return it->second.shard;
}

void FlowSharder::forget_idle(int64_t now) {
  std::erase_if(slots_, [&](const auto& s) { return now - s.second.last_us > forget_after_us_; });
  // Sweep again only when the table has doubled past what is still live.
  forget_at_size_ = std::max<size_t>(1 << 16, slots_.size() * 2);
}

}  // namespace trawl
