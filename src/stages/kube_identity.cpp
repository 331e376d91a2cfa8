#include "stages/kube_identity.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "base/text.h"

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
    if (dns_ && e.protocol.size() == 3 && e.protocol == "dns") dns_->learn(e);
    if (uint64_t g = feed_->generation(); g != generation_ || !book_) {
      book_ = feed_->current();
      generation_ = g;
      cache_.clear();  // its identities may be gone, their addresses reused
      memo_ = {};
    }
    uint64_t dns_generation = dns_ ? dns_->generation() : 0;
    name_side(e, 0, e.src, dns_generation);
    name_side(e, 1, e.dst, dns_generation);
    return true;
  }

 private:
  struct Key {
    const kube::Identity* identity;  // nullptr: an external address
    int side;
    uint16_t shown_port;  // 0: all services shown
    const std::string* dns;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.identity) ^ std::hash<const void*>()(k.dns) ^
             (size_t(k.side) << 17) ^ k.shown_port;
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
    int32_t port = -1;  // -1: any port (the memo by address)
    uint64_t dns_generation = 0;
    kube::AddressBook::Validity valid{0, 0};
    const kube::Identity* identity = nullptr;
    // The answer depends on the port: always (the address has owners by port,
    // or its services list many ports), or for the ports listed here, which
    // set bit port % 64 of `listed_bits` (most ports are ruled out by it).
    bool by_port = false;
    uint8_t listed_count = 0;
    std::array<uint16_t, 4> listed{};
    uint64_t listed_bits = 0;
    std::shared_ptr<const SharedContextFields> fields;  // null: nothing to say
    bool holds(const std::string& address, int32_t p, uint64_t dns_gen, int64_t ts) const {
      return ts >= valid.from_us && ts < valid.to_us && port == p && dns_generation == dns_gen &&
             same_text(ip, address);
    }
    bool depends_on(uint16_t p) const {
      if (by_port) return true;
      if (!((listed_bits >> (p % 64)) & 1)) return false;
      return std::find(listed.begin(), listed.begin() + listed_count, p) !=
             listed.begin() + listed_count;
    }
    // The ports the identity's services list, kept when they are few.
    void list_ports() {
      listed_count = 0, listed_bits = 0;
      if (!identity) return;
      for (const auto& [name, ports] : identity->common->services)
        for (int p : ports) {
          if (depends_on(uint16_t(p))) continue;
          if (listed_count == listed.size()) {
            by_port = true;
            return;
          }
          listed[listed_count++] = uint16_t(p);
          listed_bits |= uint64_t(1) << (uint16_t(p) % 64);
        }
    }
  };
  static constexpr size_t kMemoSlots = 16;

  // Most answers hold whatever the port: asked by address. A hostNetwork pod's
  // node address, or a port a service lists, is asked by address and port.
  // The hit is the common case, kept small enough to inline; the rest is not.
  [[gnu::always_inline]] void name_side(Entry& e, int side, const EntryEndpoint& ep,
                                        uint64_t dns_generation) {
    const std::string& ip = ep.ip;
    const char* text = ip.c_str();  // (its terminating zero when empty)
    size_t last = ip.empty() ? 0 : ip.size() - 1;
    size_t hash = (size_t(uint8_t(text[last])) * 7 + uint8_t(text[last / 2])) ^ ip.size();
    Memo* answer = &memo_[size_t(side)][hash % kMemoSlots];
    if (!answer->holds(ip, -1, dns_generation, e.timestamp_us) || answer->depends_on(ep.port))
      answer = &ask(*answer, hash, side, ep, dns_generation, e.timestamp_us);
    if (answer->fields) e.context.share(side, answer->fields);
  }

  // The memo holding the answer for ep, `by_ip` (its memo by address) filled
  // anew if it did not hold.
  [[gnu::noinline]] Memo& ask(Memo& by_ip, size_t hash, int side, const EntryEndpoint& ep,
                              uint64_t dns_generation, int64_t ts) {
    if (!by_ip.holds(ep.ip, -1, dns_generation, ts))
      remember(by_ip, side, ep, -1, dns_generation, ts);
    if (!by_ip.depends_on(ep.port)) return by_ip;
    Memo& by_both = memo_[size_t(side)][kMemoSlots + (hash * 31 + ep.port) % kMemoSlots];
    if (!by_both.holds(ep.ip, ep.port, dns_generation, ts))
      remember(by_both, side, ep, ep.port, dns_generation, ts);
    return by_both;
  }

  // Fills `m` with the answer for ep's address (port -1) or ep's address and port.
  void remember(Memo& m, int side, const EntryEndpoint& ep, int32_t port, uint64_t dns_generation,
                int64_t ts) {
    m.ip = ep.ip, m.port = port, m.dns_generation = dns_generation;
    m.listed_count = 0, m.listed_bits = 0;
    m.by_port = port < 0 && book_->has_port_owners(ep.ip);
    if (m.by_port) {  // asked again by port, whatever the time
      m.valid = {}, m.identity = nullptr, m.fields = nullptr;
      return;
    }
    m.fields = fields_of(side, ep.ip, ep.port, port >= 0, ts, m.valid, m.identity);
    if (port < 0) m.list_ports();
  }

  // The fields for ip:port, showing the services that list the port when
  // `by_port` (else all of them).
  std::shared_ptr<const SharedContextFields> fields_of(int side, const std::string& ip,
                                                       uint16_t port, bool by_port, int64_t ts,
                                                       kube::AddressBook::Validity& valid,
                                                       const kube::Identity*& id) {
    id = book_->lookup(ip, port, ts, &valid);
    uint16_t shown_port = by_port && id && id->lists_port(port) ? port : 0;
    std::shared_ptr<const std::string> dns =
        dns_ ? dns_->name_of(ip, ts, &valid.from_us, &valid.to_us) : nullptr;
    bool external = !id && book_->is_external(ip);
    if (!id && !external && !dns) return nullptr;
    Key key{id, side, shown_port, dns.get()};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() >= kMaxCached) cache_.clear(), memo_ = {};
      std::vector<EntryContext::Field> fields;
      if (id) fields = side_fields(kSides[side], *id, shown_port);
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
