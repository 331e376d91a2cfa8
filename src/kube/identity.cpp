#include "kube/identity.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace trawl::kube {

namespace {

bool same_owner(const Identity& a, const Identity& b) {
  return a.name == b.name && a.kind() == b.kind() && a.namespace_() == b.namespace_();
}

bool same_identity(const Identity& a, const Identity& b) {
  return a.name == b.name && (a.common == b.common || *a.common == *b.common);
}

const OwnerRef* controller_of(const Meta& m) {
  for (const OwnerRef& o : m.owners)
    if (o.controller) return &o;
  return m.owners.empty() ? nullptr : &m.owners.front();
}

std::string_view label(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

}  // namespace

bool Identity::lists_port(uint16_t port) const {
  for (const auto& [name, ports] : common->services)
    if (std::find(ports.begin(), ports.end(), int(port)) != ports.end()) return true;
  return false;
}

std::vector<std::string> Identity::services_for(uint16_t port) const {
  std::vector<std::string> listing, all;
  for (const auto& [name, ports] : common->services) {
    all.push_back(name);
    if (std::find(ports.begin(), ports.end(), int(port)) != ports.end()) listing.push_back(name);
  }
  return listing.empty() ? all : listing;
}

std::string NameHistory::key_of(std::string_view kind, const Meta& m) {
  return std::string(kind) + "/" + m.namespace_ + "/" + m.name;
}

bool NameHistory::store(const Object& o, bool deleted, std::string& key,
                        std::vector<std::string>& touched) {
  std::string_view kind = kind_of(o);
  const Meta& m = meta_of(o);
  key = key_of(kind, m);
  if (kind == "EndpointSlice")
    update_slice(key, deleted ? nullptr : &std::get<EndpointSlice>(o), touched);
  if (kind == "ReplicaSet" || kind == "Job") owned_pods(kind, m, touched);
  if (kind == "Node") update_pod_ranges(key, deleted ? nullptr : &std::get<Node>(o));
  if (deleted)
    objects_.erase(key);
  else
    trim_for_identity(objects_.insert_or_assign(key, o).first->second);
  return kind == "Pod" || kind == "Service" || kind == "Node";
}

void NameHistory::apply(const Object& o, bool deleted, int64_t at_us) {
  std::string key;
  std::vector<std::string> touched;  // pods whose workload or services may have changed
  if (store(o, deleted, key, touched)) update_addresses(key, at_us);
  for (const std::string& pod : touched) update_addresses(pod, at_us);
}

void NameHistory::apply_list(const std::vector<Object>& objects, int64_t at_us) {
  std::vector<std::string> update;
  for (const Object& o : objects) {
    std::string key;
    if (store(o, false, key, update)) update.push_back(std::move(key));
  }
  std::sort(update.begin(), update.end());
  update.erase(std::unique(update.begin(), update.end()), update.end());
  for (const std::string& key : update) update_addresses(key, at_us);
}

// Which services each pod is an endpoint of, by slice; the pods it named
// before and names now are touched.
void NameHistory::update_slice(const std::string& key, const EndpointSlice* slice,
                               std::vector<std::string>& touched) {
  for (const std::string& pod : slice_members_[key]) {
    pod_services_[pod].erase(key);
    touched.push_back(pod);
  }
  slice_members_.erase(key);
  if (!slice || slice->service.empty()) return;
  auto service = std::make_shared<ServiceSpan>(slice->service, std::vector<int>());
  for (const PortRef& p : slice->ports) service->second.push_back(p.port);
  for (const EndpointSlice::Endpoint& ep : slice->endpoints) {
    if (ep.pod.empty()) continue;
    std::string pod = "Pod/" + slice->meta.namespace_ + "/" + ep.pod;
    pod_services_[pod][key] = service;
    slice_members_[key].push_back(pod);
    touched.push_back(pod);
  }
}

void NameHistory::update_pod_ranges(const std::string& key, const Node* node) {
  if (node)
    node_pod_cidrs_[key] = node->pod_cidrs;
  else
    node_pod_cidrs_.erase(key);
  std::vector<std::string> all;
  for (const auto& [_, cidrs] : node_pod_cidrs_) all.insert(all.end(), cidrs.begin(), cidrs.end());
  book_.set_pod_ranges(all);
}

// The pods whose controller is this ReplicaSet or Job.
void NameHistory::owned_pods(std::string_view kind, const Meta& owner,
                             std::vector<std::string>& out) const {
  std::string prefix = "Pod/" + owner.namespace_ + "/";
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const OwnerRef* o = controller_of(meta_of(it->second));
    if (o && o->kind == kind && o->name == owner.name) out.push_back(it->first);
  }
}

void NameHistory::update_addresses(const std::string& key, int64_t at_us) {
  auto it = objects_.find(key);
  Held now;
  int64_t created = 0;
  if (it != objects_.end()) {
    now.addresses = addresses_of(it->second);
    now.identity = identity_of(key, it->second);
    created = meta_of(it->second).created_us;
  }
  Held& held = held_[key];
  for (const std::string& a : held.addresses)
    if (std::find(now.addresses.begin(), now.addresses.end(), a) == now.addresses.end())
      release(book_.timeline(a), *held.identity, at_us);
  for (const std::string& a : now.addresses) claim(book_.timeline(a), now.identity, at_us, created);
  held = std::move(now);
  if (held.addresses.empty()) held_.erase(key);
}

AddressBook::Timeline& AddressBook::timeline(const std::string& address) {
  return address.find('|') == std::string::npos ? by_ip_[address] : by_ip_port_[address];
}

std::vector<std::string> NameHistory::addresses_of(const Object& o) const {
  if (const Pod* p = std::get_if<Pod>(&o)) {
    if (p->phase == "Succeeded" || p->phase == "Failed") return {};  // its IP may go to another
    if (!p->host_network) return p->ips;
    // The node's address: the pod owns its ports there.
    std::vector<std::string> out;
    for (const std::string& ip : p->ips)
      for (const PortRef& port : p->container_ports)
        out.push_back(ip + "|" + std::to_string(port.port));
    return out;
  }
  if (const Service* s = std::get_if<Service>(&o)) return s->cluster_ips;
  if (const Node* n = std::get_if<Node>(&o)) return n->addresses;
  return {};
}

std::shared_ptr<const Identity> NameHistory::identity_of(const std::string& key, const Object& o) {
  const Meta& m = meta_of(o);
  IdentityCommon c;
  c.namespace_ = m.namespace_;
  if (std::holds_alternative<Pod>(o)) {
    c.kind = "pod";
    c.labels = m.labels;
    std::tie(c.workload_kind, c.workload_name) = workload_of(m);
    if (auto s = pod_services_.find(key); s != pod_services_.end())
      for (const auto& [slice, service] : s->second) c.services.push_back(*service);
    std::sort(c.services.begin(), c.services.end());
    c.services.erase(std::unique(c.services.begin(), c.services.end()), c.services.end());
  } else if (std::holds_alternative<Service>(o)) {
    c.kind = "service";
    c.labels = m.labels;
    c.services.push_back({m.name, {}});
  } else {
    c.kind = "node";
  }
  return std::make_shared<const Identity>(Identity{m.name, shared(std::move(c))});
}

// The one copy of `c`: the pods of a workload differ only by name.
std::shared_ptr<const IdentityCommon> NameHistory::shared(IdentityCommon c) {
  std::string key = c.namespace_ + '\0' + c.kind + '\0' + c.workload_kind + '\0' + c.workload_name;
  for (const auto& [k, v] : c.labels) key += '\0' + k + '=' + v;
  for (const auto& [name, ports] : c.services) {
    key += "\0\0" + name;
    for (int p : ports) key += ',' + std::to_string(p);
  }
  std::weak_ptr<const IdentityCommon>& slot = commons_[std::move(key)];
  std::shared_ptr<const IdentityCommon> one = slot.lock();
  if (!one) slot = one = std::make_shared<const IdentityCommon>(std::move(c));
  if (commons_.size() >= 2 * commons_swept_at_) {
    std::erase_if(commons_, [](const auto& kv) { return kv.second.expired(); });
    commons_swept_at_ = std::max<size_t>(64, commons_.size());
  }
  return one;
}

// The workload a pod belongs to: its controller, with a ReplicaSet resolved
// to its Deployment and a Job to its CronJob. A ReplicaSet not (yet) known is
// taken for a Deployment's when its name is the Deployment's and the pod's
// template hash.
std::pair<std::string, std::string> NameHistory::workload_of(const Meta& pod) const {
  const OwnerRef* owner = controller_of(pod);
  if (!owner) return {};
  if (owner->kind != "ReplicaSet" && owner->kind != "Job") return {owner->kind, owner->name};
  auto it = objects_.find(owner->kind + "/" + pod.namespace_ + "/" + owner->name);
  if (it != objects_.end()) {
    const OwnerRef* up = controller_of(meta_of(it->second));
    if (up && (up->kind == "Deployment" || up->kind == "CronJob")) return {up->kind, up->name};
    return {owner->kind, owner->name};
  }
  std::string_view hash = label(pod.labels, "pod-template-hash");
  if (owner->kind == "ReplicaSet" && !hash.empty() && owner->name.size() > hash.size() + 1 &&
      owner->name.ends_with(hash) && owner->name[owner->name.size() - hash.size() - 1] == '-')
    return {"Deployment", owner->name.substr(0, owner->name.size() - hash.size() - 1)};
  return {owner->kind, owner->name};
}

// `id`'s owner holds the address from `at_us` (from its creation, when
// nothing later is known of the address: a listed object was there before
// it was listed).
void NameHistory::claim(Timeline& t, const std::shared_ptr<const Identity>& id, int64_t at_us,
                        int64_t created_us) {
  if (!t.empty() && t.back().to_us == INT64_MAX && same_owner(*t.back().identity, *id)) {
    if (same_identity(*t.back().identity, *id)) return;
    t.back().to_us = at_us;  // the same owner, changed (labels, services): a new span
  } else {
    if (!t.empty() && t.back().to_us == INT64_MAX) t.back().to_us = at_us;
    int64_t known_until = t.empty() ? INT64_MIN : t.back().to_us;
    if (created_us > 0 && created_us < at_us) at_us = std::max(created_us, known_until);
  }
  if (!t.empty() && t.back().from_us >= t.back().to_us) t.pop_back();  // nothing held it
  t.push_back({at_us, INT64_MAX, id});
}

void NameHistory::release(Timeline& t, const Identity& owner, int64_t at_us) {
  if (t.empty() || t.back().to_us != INT64_MAX || !same_owner(*t.back().identity, owner)) return;
  t.back().to_us = std::max(at_us, t.back().from_us);
  if (t.back().from_us == t.back().to_us) t.pop_back();
}

const AddressBook::Span* AddressBook::at(const Timeline& t, int64_t ts_us, Validity* valid) {
  auto it = std::upper_bound(t.begin(), t.end(), ts_us,
                             [](int64_t ts, const Span& s) { return ts < s.from_us; });
  if (it != t.begin() && ts_us < std::prev(it)->to_us) return &*std::prev(it);
  if (valid)
    valid->narrow(it == t.begin() ? INT64_MIN : std::prev(it)->to_us,
                  it == t.end() ? INT64_MAX : it->from_us);
  return nullptr;
}

const Identity* AddressBook::lookup(std::string_view ip, uint16_t port, int64_t ts_us,
                                    Validity* valid) const {
  Validity all;
  const Span* found = nullptr;
  if (!by_ip_port_.empty()) {
    std::string key = std::string(ip) + "|" + std::to_string(port);
    if (auto it = by_ip_port_.find(key); it != by_ip_port_.end())
      found = at(it->second, ts_us, &all);
  }
  if (!found)
    if (auto it = by_ip_.find(ip); it != by_ip_.end()) found = at(it->second, ts_us, &all);
  if (found) all.narrow(found->from_us, found->to_us);
  if (valid) *valid = all;
  return found ? found->identity.get() : nullptr;
}

bool AddressBook::has_port_owners(std::string_view ip) const {
  if (by_ip_port_.empty()) return false;
  std::string prefix = std::string(ip) + "|";
  auto it = by_ip_port_.lower_bound(prefix);
  return it != by_ip_port_.end() && it->first.starts_with(prefix);
}

size_t AddressBook::spans() const {
  size_t n = 0;
  for (const auto& [_, t] : by_ip_) n += t.size();
  for (const auto& [_, t] : by_ip_port_) n += t.size();
  return n;
}

void AddressBook::set_pod_ranges(const std::vector<std::string>& cidrs) {
  pod_ranges_.clear();
  for (const std::string& cidr : cidrs) {
    size_t slash = cidr.find('/');
    if (slash == std::string::npos) continue;
    Range r{};
    std::string address = cidr.substr(0, slash);
    r.family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
    r.bits = std::atoi(cidr.c_str() + slash + 1);
    if (inet_pton(r.family, address.c_str(), r.prefix) == 1 && r.bits >= 0 &&
        r.bits <= (r.family == AF_INET ? 32 : 128))
      pod_ranges_.push_back(r);
  }
}

bool AddressBook::is_external(std::string_view ip) const {
  if (pod_ranges_.empty() || ip.size() >= INET6_ADDRSTRLEN) return false;
  char text[INET6_ADDRSTRLEN];
  ip.copy(text, ip.size());
  text[ip.size()] = '\0';
  int family = ip.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
  unsigned char a[16];
  if (inet_pton(family, text, a) != 1) return false;
  if (family == AF_INET ? a[0] == 127 : IN6_IS_ADDR_LOOPBACK(reinterpret_cast<in6_addr*>(a)))
    return false;
  for (const Range& r : pod_ranges_) {
    if (r.family != family) continue;
    int whole = r.bits / 8, rest = r.bits % 8;
    if (std::memcmp(a, r.prefix, size_t(whole)) != 0) continue;
    if (rest == 0 || ((a[whole] ^ r.prefix[whole]) & (0xff << (8 - rest))) == 0) return false;
  }
  return true;
}

const AddressBook::Timeline* AddressBook::find(std::string_view address) const {
  auto& map = address.find('|') == std::string_view::npos ? by_ip_ : by_ip_port_;
  auto it = map.find(address);
  return it == map.end() ? nullptr : &it->second;
}

const Object* NameHistory::find(const std::string& key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : &it->second;
}

std::vector<std::string> NameHistory::keys_of(std::string_view kind) const {
  std::vector<std::string> out;
  std::string prefix = std::string(kind) + "/";
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back(it->first);
  return out;
}

}  // namespace trawl::kube
