#include "stages/kube_identity.h"

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

  void name_side(Entry& e, int side, const EntryEndpoint& ep) {
    const kube::Identity* id = book_->lookup(ep.ip, ep.port, e.timestamp_us);
    std::shared_ptr<const std::string> dns = dns_ ? dns_->name_of(ep.ip, e.timestamp_us) : nullptr;
    bool external = !id && book_->is_external(ep.ip);
    if (!id && !external && !dns) return;
    Key key{id, side, id && id->lists_port(ep.port) ? ep.port : uint16_t(0), dns.get()};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() >= kMaxCached) cache_.clear();
      std::vector<EntryContext::Field> fields;
      if (id) fields = side_fields(kSides[side], *id, ep.port);
      if (external) fields.emplace_back(kSides[side].kind, "external");
      if (dns) fields.emplace_back(kSides[side].dns, *dns);
      it = cache_.emplace(key, Cached{SharedContextFields::make(std::move(fields)), dns}).first;
    }
    e.context.share(side, it->second.fields);
  }

  std::shared_ptr<const kube::NameFeed> feed_;
  std::shared_ptr<DnsNames> dns_;
  std::shared_ptr<const kube::AddressBook> book_;
  uint64_t generation_ = 0;
  std::unordered_map<Key, Cached, KeyHash> cache_;
};

}  // namespace

StageSpec kube_identity_stage(std::shared_ptr<const kube::NameFeed> feed,
                              std::shared_ptr<DnsNames> dns) {
  return {"identity", [feed, dns] { return std::make_unique<KubeIdentityStage>(feed, dns); }};
}

}  // namespace trawl
