#include "flows/nat_twins.h"

namespace trawl {

namespace {

bool same(const EntryEndpoint& a, const EntryEndpoint& b) {
  return a.port == b.port && a.ip == b.ip;
}

}  // namespace

std::string NatTwins::key_of(const EntryEndpoint& client, uint64_t fingerprint) {
  return client.ip + '|' + std::to_string(client.port) + '|' + std::to_string(fingerprint);
}

bool NatTwins::is_twin(const EntryEndpoint& client, uint64_t fingerprint,
                       const EntryEndpoint& server, int64_t ts_us) {
  std::string key = key_of(client, fingerprint);
  std::lock_guard lock(mutex_);
  auto [it, added] = connections_.try_emplace(key);
  if (added) {
    it->second.first = {server, ts_us};
    order_.push_back(std::move(key));
    if (order_.size() > max_) {
      connections_.erase(order_.front());
      order_.pop_front();
    }
    return false;
  }
  Connection& c = it->second;
  if (same(c.first.server, server) || c.second) return false;  // the same view again, or a third
  c.second = View{server, ts_us};
  ++twins_;
  return true;
}

// The view seen later is the one after the NAT: the address the connection
// reached. Seen at the same microsecond, the one registered second is (one
// capture thread registers views in the order they were captured).
std::optional<EntryEndpoint> NatTwins::reached(const EntryEndpoint& client, uint64_t fingerprint) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(key_of(client, fingerprint));
  if (it == connections_.end() || !it->second.second) return std::nullopt;
  const Connection& c = it->second;
  return c.second->ts_us >= c.first.ts_us ? c.second->server : c.first.server;
}

uint64_t NatTwins::twins() const {
  std::lock_guard lock(mutex_);
  return twins_;
}

}  // namespace trawl
