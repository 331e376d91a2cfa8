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
// that DNS name). They are lent to each entry (EntryContext::lend): the cache
// and the memos keep them, and are cleared only between entries (refresh).
class KubeIdentityStage : public EntryStage {
 public:
  KubeIdentityStage(std::shared_ptr<const kube::NameFeed> feed, std::shared_ptr<DnsNames> dns)
      : feed_(std::move(feed)), dns_(std::move(dns)) {}
  bool process(Entry& e) override {
    if (dns_ && e.protocol.size() == 3 && e.protocol == "dns") dns_->learn(e);
    uint64_t dns_generation = dns_ ? dns_->generation() : 0;
    if (feed_->generation() != generation_ || !book_ || dns_generation >> 32 != dns_epoch_ ||
        cache_full_)
      refresh(dns_generation);
    name_side(e, 0, e.src, uint32_t(dns_generation));
    name_side(e, 1, e.dst, uint32_t(dns_generation));
    return true;
  }

 private:
  // Out of line, like every path but the hit: the hit's frame stays small
  // (a cleared array of memos built in it took 8 KiB of stack, cold each call).
  // Between entries: what the last entry was lent goes only here.
  [[gnu::noinline]] void refresh(uint64_t dns_generation) {
    if (uint64_t g = feed_->generation(); g != generation_ || !book_) {
      book_ = feed_->current();
      generation_ = g;
      cache_.clear();  // its identities may be gone, their addresses reused
    }
    if (cache_full_) cache_.clear(), cache_full_ = false;
    dns_epoch_ = dns_generation >> 32;
    forget_memos();
  }
  void forget_memos() {
    for (auto& side : memo_)
      for (Memo& m : side) m = Memo{};
  }

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
  // interval it holds for stay: busy addresses skip the lookups. What a hit
  // reads is one cache line: the stage runs between a dissector and the
  // output, which leave little of it in the first-level cache.
  struct alignas(64) Memo {
    uint64_t head = 0, tail = 0;  // the address's ShortTextKey
    kube::AddressBook::Validity valid{0, 0};
    std::shared_ptr<const SharedContextFields> fields;  // null: nothing to say
    // The answer depends on the port: always (the address has owners by port,
    // or its services list many ports), or for the ports listed, which set
    // bit port % 32 of `listed_bits` (most ports are ruled out by it).
    uint32_t listed_bits = 0;
    uint32_t dns_generation = 0;  // its low half (memos go when the high half changes)
    int32_t port = -1;            // -1: any port (the memo by address)
    uint8_t size = 0;             // the address's length, up to 255
    bool by_port = false;
    // Read when filled, and for addresses of more than 16 bytes.
    uint8_t listed_count = 0;
    std::array<uint16_t, 4> listed{};
    std::string ip;
    const kube::Identity* identity = nullptr;

    bool holds(const ShortTextKey& k, const std::string& address, int32_t p, uint32_t dns_gen,
               int64_t ts) const {
      return ts >= valid.from_us && ts < valid.to_us && port == p && dns_generation == dns_gen &&
             head == k.head && tail == k.tail && size == uint8_t(std::min<size_t>(k.size, 255)) &&
             (k.decides() || ip == address);
    }
    bool depends_on(uint16_t p) const {
      if (by_port) return true;
      if (!((listed_bits >> (p % 32)) & 1)) return false;
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
          listed_bits |= uint32_t(1) << (uint16_t(p) % 32);
        }
    }
  };
  static constexpr size_t kMemoSlots = 16;

  // Most answers hold whatever the port: asked by address. A hostNetwork pod's
  // node address, or a port a service lists, is asked by address and port.
  // The hit is the common case; the rest is out of line. One copy serves both
  // sides: the names' cost on a dense read is mostly the room their code
  // takes in the instruction caches, not its instructions (a stage that
  // looks up and shows nothing costs as much as one that shows the names).
  [[gnu::noinline]] void name_side(Entry& e, int side, const EntryEndpoint& ep,
                                        uint32_t dns_generation) {
    ShortTextKey k = short_text_key(ep.ip);
    size_t hash = size_t(((k.head ^ k.tail) * 0x9e3779b97f4a7c15ull) >> 59) ^ k.size;
    Memo* answer = &memo_[size_t(side)][hash % kMemoSlots];
    if (!answer->holds(k, ep.ip, -1, dns_generation, e.timestamp_us) || answer->depends_on(ep.port))
      answer = &ask(*answer, k, hash, side, ep, dns_generation, e.timestamp_us);
    if (answer->fields) e.context.lend(side, answer->fields.get());
  }

  // The memo holding the answer for ep, `by_ip` (its memo by address) filled
  // anew if it did not hold.
  [[gnu::noinline]] Memo& ask(Memo& by_ip, const ShortTextKey& k, size_t hash, int side,
                              const EntryEndpoint& ep, uint32_t dns_generation, int64_t ts) {
    if (!by_ip.holds(k, ep.ip, -1, dns_generation, ts))
      remember(by_ip, k, side, ep, -1, dns_generation, ts);
    if (!by_ip.depends_on(ep.port)) return by_ip;
    Memo& by_both = memo_[size_t(side)][kMemoSlots + (hash * 31 + ep.port) % kMemoSlots];
    if (!by_both.holds(k, ep.ip, ep.port, dns_generation, ts))
      remember(by_both, k, side, ep, ep.port, dns_generation, ts);
    return by_both;
  }

  // Fills `m` with the answer for ep's address (port -1) or ep's address and port.
  void remember(Memo& m, const ShortTextKey& k, int side, const EntryEndpoint& ep, int32_t port,
                uint32_t dns_generation, int64_t ts) {
    m.head = k.head, m.tail = k.tail, m.size = uint8_t(std::min<size_t>(k.size, 255));
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
      cache_full_ = cache_.size() >= kMaxCached;  // cleared before the next entry
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
  uint64_t dns_epoch_ = 0;  // the DNS generation's high half
  bool cache_full_ = false;
  std::unordered_map<Key, Cached, KeyHash> cache_;
  std::array<std::array<Memo, 2 * kMemoSlots>, 2> memo_;  // by address, then by address and port
};

}  // namespace

StageSpec kube_identity_stage(std::shared_ptr<const kube::NameFeed> feed,
                              std::shared_ptr<DnsNames> dns) {
  return {"identity", [feed, dns] { return std::make_unique<KubeIdentityStage>(feed, dns); }};
}

}  // namespace trawl
