// Who owned an address when: pods (by their IPs; hostNetwork pods by IP and
// port), Services (by cluster IP) and nodes (by address), from the Kubernetes
// objects a list, a watch or a saved history gives, each applied at the time
// it was seen. An address resolves to its owner at the entry's time, so a pod
// IP that a later pod reuses names each pod on its own entries.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/objects.h"

namespace trawl::kube {

// What the pods of one workload have in common (or a service, or a node):
// one copy, shared by every span that shows it.
struct IdentityCommon {
  std::string namespace_;
  std::string kind;  // pod, service, node
  std::string workload_kind, workload_name;
  Labels labels;
  // Services whose endpoints include the pod, with the ports they list (none: any).
  std::vector<std::pair<std::string, std::vector<int>>> services;
  bool operator==(const IdentityCommon&) const = default;
};

// What an address was, as an entry's src or dst shows it (entry.md).
struct Identity {
  std::string name;
  std::shared_ptr<const IdentityCommon> common;

  const std::string& namespace_() const { return common->namespace_; }
  const std::string& kind() const { return common->kind; }
  const std::string& workload_kind() const { return common->workload_kind; }
  const std::string& workload_name() const { return common->workload_name; }
  const Labels& labels() const { return common->labels; }
  bool has_services() const { return !common->services.empty(); }
  // Whether a service lists `port`.
  bool lists_port(uint16_t port) const;
  // The Services to show for a connection to or from `port`: those listing the
  // port, else all of them.
  std::vector<std::string> services_for(uint16_t port) const;
};

// Every address's owners over time: what a lookup reads. Copied whole into the
// snapshot the entry stages read, so a live update never blocks them.
class AddressBook {
 public:
  struct Span {
    int64_t from_us, to_us;                    // [from, to); to = INT64_MAX while it lasts
    std::shared_ptr<const Identity> identity;  // also names the owner
  };
  using Timeline = std::vector<Span>;  // in time order, not overlapping

  // The times [from, to) an answer holds for.
  struct Validity {
    int64_t from_us = INT64_MIN, to_us = INT64_MAX;
    void narrow(int64_t from, int64_t to) {
      from_us = std::max(from_us, from), to_us = std::min(to_us, to);
    }
  };
  // The owner of ip:port at `ts_us`; nullptr when none is known. `valid`, when
  // given, gets the times around `ts_us` with the same answer.
  const Identity* lookup(std::string_view ip, uint16_t port, int64_t ts_us,
                         Validity* valid = nullptr) const;
  // Addresses with a history, and the spans they hold (for budgets and stats).
  size_t addresses() const { return by_ip_.size() + by_ip_port_.size(); }
  size_t spans() const;
  // "ip", or "ip|port" for a hostNetwork pod's port.
  Timeline& timeline(const std::string& address);
  // Calls fn(address, timeline) for every address, in order.
  template <class Fn>
  void for_each(Fn fn) const {
    for (const auto& [a, t] : by_ip_) fn(a, t);
    for (const auto& [a, t] : by_ip_port_) fn(a, t);
  }
  const Timeline* find(std::string_view address) const;
  // Whether `ip` has owners by port (hostNetwork pods): its lookups depend on the port.
  bool has_port_owners(std::string_view ip) const;

  // The nodes' pod ranges (podCIDRs). With any known, an address no one owns
  // that is in none of them, nor loopback, is outside the cluster: external.
  void set_pod_ranges(const std::vector<std::string>& cidrs);
  bool is_external(std::string_view ip) const;

 private:
  struct Range {
    int family;
    unsigned char prefix[16];
    int bits;
  };
  // The span holding `ts_us`; else nullptr, and `valid` narrowed to the gap.
  static const Span* at(const Timeline& t, int64_t ts_us, Validity* valid = nullptr);
  std::vector<Range> pod_ranges_;
  std::map<std::string, Timeline, std::less<>> by_ip_;
  std::map<std::string, Timeline, std::less<>> by_ip_port_;  // hostNetwork pods' ports
};

class NameHistory {
 public:
  // An object as seen at `at_us` (listed, added, changed; `deleted`: gone).
  // An object listed before anything else about its address is known is taken
  // to have owned it since its creation.
  void apply(const Object& o, bool deleted, int64_t at_us);
  // Objects listed together at `at_us`: each is seen with all the others (a
  // pod with the ReplicaSet and endpoint slices after it in the list).
  void apply_list(const std::vector<Object>& objects, int64_t at_us);
  // The owner of ip:port at `ts_us`; nullptr when none is known.
  const Identity* lookup(std::string_view ip, uint16_t port, int64_t ts_us) const {
    return book_.lookup(ip, port, ts_us);
  }
  const AddressBook& book() const { return book_; }
  AddressBook take_book() { return std::move(book_); }
  size_t addresses() const { return book_.addresses(); }
  size_t spans() const { return book_.spans(); }

  // The object kept under `key` (kind/namespace/name), or nullptr.
  const Object* find(const std::string& key) const;
  // The keys of the objects of `kind` kept now.
  std::vector<std::string> keys_of(std::string_view kind) const;
  static std::string key_of(std::string_view kind, const Meta& m);

 private:
  using Span = AddressBook::Span;
  using Timeline = AddressBook::Timeline;
  struct Held {  // what an object holds now
    std::vector<std::string> addresses;
    std::shared_ptr<const Identity> identity;
  };
  using ServiceSpan = std::pair<std::string, std::vector<int>>;  // a service, its ports

  // Keeps the object (or forgets it); true for one that holds addresses. The
  // pods whose identity it may change are added to `touched`.
  bool store(const Object& o, bool deleted, std::string& key, std::vector<std::string>& touched);
  void update_slice(const std::string& key, const EndpointSlice* slice,
                    std::vector<std::string>& touched);
  void owned_pods(std::string_view kind, const Meta& owner, std::vector<std::string>& out) const;
  void update_pod_ranges(const std::string& key, const Node* node);
  void update_addresses(const std::string& key, int64_t at_us);
  // "ip", or "ip|port" for a hostNetwork pod's ports.
  std::vector<std::string> addresses_of(const Object& o) const;
  std::shared_ptr<const Identity> identity_of(const std::string& key, const Object& o);
  std::pair<std::string, std::string> workload_of(const Meta& pod) const;
  std::shared_ptr<const IdentityCommon> shared(IdentityCommon common);
  static void claim(Timeline& t, const std::shared_ptr<const Identity>& id, int64_t at_us,
                    int64_t created_us);
  static void release(Timeline& t, const Identity& owner, int64_t at_us);

  std::map<std::string, Object> objects_;  // the objects now, by key
  // The addresses each object holds now ("ip" or "ip|port"), to release them.
  std::map<std::string, Held> held_;
  // Every IdentityCommon made, by content, so equal ones are one.
  // Weak: one no span shows any more is freed (and swept from the map).
  std::map<std::string, std::weak_ptr<const IdentityCommon>> commons_;
  size_t commons_swept_at_ = 64;
  AddressBook book_;
  // Endpoint slices: the pods each lists, and each pod's services by slice.
  std::map<std::string, std::vector<std::string>> slice_members_;
  std::map<std::string, std::vector<std::string>> node_pod_cidrs_;  // by node key
  // (One ServiceSpan per slice, shared by its pods.)
  std::map<std::string, std::map<std::string, std::shared_ptr<const ServiceSpan>>> pod_services_;
};

}  // namespace trawl::kube
