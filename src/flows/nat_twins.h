// One connection seen twice on a node, before and after a NAT: a call to a
// Kubernetes Service's cluster IP crosses the node's interfaces once addressed
// to the cluster IP (the client's side) and once, after kube-proxy's DNAT, to
// the pod that serves it. Both views have the same initiator address and port
// and the same first sequence number (TCP) or first datagram (UDP); only the
// server differs. The flow tables of a worker register each flow here; the
// flow registered second is the twin (its entries are dropped, counted), and
// the first names the server the connection reached.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "entries/entry.h"

namespace trawl {

class NatTwins {
 public:
  explicit NatTwins(size_t max_connections = 1 << 16) : max_(max_connections) {}

  // Flow `server`'s view of the connection (`client`, `fingerprint`: its ISN
  // or first datagram's hash) began at `ts_us`. True when another flow
  // registered the same connection to another server first: this flow is its twin.
  bool is_twin(const EntryEndpoint& client, uint64_t fingerprint, const EntryEndpoint& server,
               int64_t ts_us);
  // For the flow registered first: the server the connection reached (the
  // view seen later, after the NAT), when a twin was seen.
  std::optional<EntryEndpoint> reached(const EntryEndpoint& client, uint64_t fingerprint);
  uint64_t twins() const;

  // Addresses a NAT may stand for (Services' cluster IPs): a first view to one
  // holds its entries a little while for its twin to name the server reached.
  std::function<bool(const EntryEndpoint&, int64_t ts_us)> is_virtual;

 private:
  struct View {
    EntryEndpoint server;
    int64_t ts_us;
  };
  struct Connection {
    View first;
    std::optional<View> second;
  };
  static std::string key_of(const EntryEndpoint& client, uint64_t fingerprint);

  mutable std::mutex mutex_;
  const size_t max_;
  std::unordered_map<std::string, Connection> connections_;
  std::deque<std::string> order_;  // oldest first, to forget them
  uint64_t twins_ = 0;
};

}  // namespace trawl
