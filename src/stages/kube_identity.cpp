#include "stages/kube_identity.h"

#include <array>
#include <unordered_map>

namespace trawl {

namespace {

using F = ContextField;

struct SideFields {
  F name, namespace_, kind, workload, labels, services, dns;
};
constexpr SideFields kSides[2] = {{F::kSrcName, F::kSrcNamespace, F::kSrcKind, F::kSrcWorkload,
                                   F::kSrcLabels, F::kSrcServices, F::kSrcDns},
                                  {F::kDstName, F::kDstNamespace, F::kDstKind, F::kDstWorkload,
                                   F::kDstLabels, F::kDstServices, F::kDstDns}};

// The context fields of one side, in declaration order.
std::vector<EntryContext::Field> side_fields(const SideFields& f, const kube::Identity& id,
                                             uint16_t port) {
  std::vector<EntryContext::Field> out;
  out.emplace_back(f.name, id.name);
  if (!id.namespace_().empty()) out.emplace_back(f.namespace_, id.namespace_());
  out.emplace_back(f.kind, id.kind());
  if (!id.workload_kind().empty()) {
    Json workload = Json::object();
    workload.set("kind", id.workload_kind());
    workload.set("name", id.workload_name());
    out.emplace_back(f.workload, std::move(workload));
  }
  if (!id.labels().empty()) {
    Json labels = Json::object();
    for (const auto& [k, v] : id.labels()) labels.set(k, v);
    out.emplace_back(f.labels, std::move(labels));
  }
  if (id.has_services()) {
    Json services = Json::array();
    for (std::string& s : id.services_for(port)) services.push(std::move(s));
    out.emplace_back(f.services, std::move(services));
  }
  return out;
}

// An identity's fields are made and written once, then shared by every entry
// that shows it (on that side, with that port if a service lists it, with
// that DNS name).
class KubeIdentityStage : public EntryStage {
 public:
  KubeIdentityStage(std::shared_ptr<const kube::NameFeed> feed, std::shared_ptr<DnsNames> dns)
      : feed_(std::move(feed)), dns_(std::move(dns)) {}
  bool process(Entry& e) override {
    if (dns_) dns_->learn(e);
    if (uint64_t g = feed_->generation(); g != generation_ || !book_) {
      book_ = feed_->current();
      generation_ = g;
      cache_.clear();  // its identities may be gone, their addresses reused
      memo_ = {};
    }
    name_side(e, 0, e.src);
    name_side(e, 1, e.dst);
    return true;
  }

 private:
  struct Key {
    const kube::Identity* identity;  // nullptr: an external address
    int side;
    uint16_t listed_port;  // 0: no service lists the port
    const std::string* dns;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.identity) ^ std::hash<const void*>()(k.dns) ^
             (size_t(k.side) << 17) ^ k.listed_port;
    }
  };
  struct Cached {
    std::shared_ptr<const SharedContextFields> fields;
    std::shared_ptr<const std::string> dns;  // keeps the key's name alive
  };
  static constexpr size_t kMaxCached = 1 << 16;

  // An address's last answer, while the book, the DNS names and the time
  // interval it holds for stay: busy addresses skip the lookups.
  struct Memo {
    std::string ip;
    uint16_t port = 0;
    bool port_matters = true;
    uint64_t dns_generation = 0;
    kube::AddressBook::Validity valid{0, 0};
    std::shared_ptr<const SharedContextFields> fields;  // null: nothing to say
  };
  static constexpr size_t kMemoSlots = 16;

  // Answers that hold whatever the port (most addresses) by address; the
  // others (a hostNetwork pod's ports, a service listing its port) by both.
  void name_side(Entry& e, int side, const EntryEndpoint& ep) {
    uint64_t dns_generation = dns_ ? dns_->generation() : 0;
    const std::string& ip = ep.ip;
    size_t by_ip = ip.empty() ? 0 : size_t(ip.back()) * 7 + size_t(ip[ip.size() / 2]) + ip.size();
    Memo& any_port = memo_[size_t(side)][by_ip % kMemoSlots];
    Memo& this_port = memo_[size_t(side)][kMemoSlots + (by_ip * 31 + ep.port) % kMemoSlots];
    for (Memo* m : {&any_port, &this_port})
      if ((m->port == ep.port || !m->port_matters) && m->dns_generation == dns_generation &&
          e.timestamp_us >= m->valid.from_us && e.timestamp_us < m->valid.to_us && m->ip == ip) {
        if (m->fields) e.context.share(side, m->fields);
        return;
      }
    kube::AddressBook::Validity valid;
    const kube::Identity* id = nullptr;
    auto fields = fields_of(side, ep, e.timestamp_us, valid, id);
    bool port_matters = book_->has_port_owners() || (id && id->has_services());
    Memo& m = port_matters ? this_port : any_port;
    m.ip = ip, m.port = ep.port, m.port_matters = port_matters;
    m.dns_generation = dns_generation, m.valid = valid, m.fields = fields;
    if (fields) e.context.share(side, std::move(fields));
  }

  std::shared_ptr<const SharedContextFields> fields_of(int side, const EntryEndpoint& ep,
                                                       int64_t ts,
                                                       kube::AddressBook::Validity& valid,
                                                       const kube::Identity*& id) {
    id = book_->lookup(ep.ip, ep.port, ts, &valid);
    std::shared_ptr<const std::string> dns =
        dns_ ? dns_->name_of(ep.ip, ts, &valid.from_us, &valid.to_us) : nullptr;
    bool external = !id && book_->is_external(ep.ip);
    if (!id && !external && !dns) return nullptr;
    Key key{id, side, id && id->lists_port(ep.port) ? ep.port : uint16_t(0), dns.get()};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() >= kMaxCached) cache_.clear(), memo_ = {};
      std::vector<EntryContext::Field> fields;
      if (id) fields = side_fields(kSides[side], *id, ep.port);
      if (external) fields.emplace_back(kSides[side].kind, "external");
      if (dns) fields.emplace_back(kSides[side].dns, *dns);
      it = cache_.emplace(key, Cached{SharedContextFields::make(std::move(fields)), dns}).first;
    }
    return it->second.fields;
  }

  std::shared_ptr<const kube::NameFeed> feed_;
  std::shared_ptr<DnsNames> dns_;
  std::shared_ptr<const kube::AddressBook> book_;
  uint64_t generation_ = 0;
  std::unordered_map<Key, Cached, KeyHash> cache_;
  std::array<std::array<Memo, 2 * kMemoSlots>, 2> memo_;  // by address, then by address and port
};

}  // namespace

StageSpec kube_identity_stage(std::shared_ptr<const kube::NameFeed> feed,
                              std::shared_ptr<DnsNames> dns) {
  return {"identity", [feed, dns] { return std::make_unique<KubeIdentityStage>(feed, dns); }};
}

}  // namespace trawl
