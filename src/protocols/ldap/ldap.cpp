#include "protocols/ldap/ldap.h"

#include <map>

#include "dissect/entry_problem.h"
#include "dissect/registry.h"
#include "protocols/ldap/ber.h"
#include "protocols/ldap/ldap_message.h"

namespace trawl {

namespace {

constexpr uint64_t kMaxMessage = 4 << 20;  // larger messages are skipped, not buffered
constexpr size_t kResyncWindow = 64 * 1024;

enum Op : uint8_t {
  kUnbind = 2,
  kSearchEntry = 4,
  kAbandon = 16,
  kSearchRef = 19,
  kExtendedRequest = 23,
  kIntermediate = 25
};

// An LDAPMessage header: SEQUENCE, then messageID INTEGER, then an application tag.
bool plausible_start(Bytes b, bool& need_more) {
  need_more = false;
  uint8_t tag;
  size_t header;
  uint64_t length;
  auto h = ber::read_header(b, tag, header, length);
  if (h == ber::Header::kNeedMore) return need_more = true, false;
  if (h == ber::Header::kBad || tag != 0x30 || length < 5 || length > kMaxMessage * 4) return false;
  if (b.size() < header + 3) return need_more = true, false;
  uint8_t id_len = b[header + 1];
  if (b[header] != 0x02 || id_len == 0 || id_len > 4) return false;
  if (b.size() < header + 2 + id_len + 1) return need_more = true, false;
  uint8_t op = b[header + 2 + id_len];
  return (op & 0xC0) == 0x40 && (op & 0x1F) <= 25;
}

class LdapDissector : public StreamDissector {
 public:
  explicit LdapDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    if (tls_started_) return;  // TLS records the session hands to TLS (when it knows it)
    if (env_.flow.datagrams) {
      // CLDAP: whole messages in each datagram.
      while (!data.empty()) {
        size_t used = message_at(dir, data, ts, ts);
        if (used == 0) {
          ++env_.counters.malformed;
          return;
        }
        data = data.subspan(used);
      }
      return;
    }
    Side& s = sides_[int(dir)];
    while (!data.empty()) {
      if (s.skip > 0) {  // the rest of an oversized message
        size_t n = size_t(std::min<uint64_t>(s.skip, data.size()));
        s.skip -= n;
        data = data.subspan(n);
        continue;
      }
      if (s.buf.empty()) s.first_us = ts;
      if (s.held.budget() == nullptr) s.held = BudgetShare(env_.settings.memory);
      if (!s.held.resize(s.buf.size() + data.size())) {
        // The memory budget is spent: the message is dropped, the next one looked for.
        ++env_.counters.budget_drops;
        s.buf.clear();
        s.held.resize(0);
        s.resyncing = true;
        return;
      }
      s.buf.append(reinterpret_cast<const char*>(data.data()), data.size());
      data = {};
      drain(dir, s, ts);
      s.held.resize(s.buf.size());
    }
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    if (tls_started_) return;
    Side& s = sides_[int(dir)];
    s.buf.clear();
    s.skip = 0;
    s.resyncing = true;
    ++env_.counters.resyncs;
    for (auto& [id, p] : pending_)
      if (p.response_started || dir == p.dir) p.gap = true;
  }

  void on_close(int64_t) override {
    for (auto& [id, p] : pending_) emit(p, nullptr, "no response");
    pending_.clear();
  }

 private:
  struct Side {
    std::string buf;
    BudgetShare held;  // its memory: a message may wait here until it is whole
    int64_t first_us = 0;
    uint64_t skip = 0;
    bool resyncing = false;
  };

  struct Pending {
    LdapMessage request;
    Direction dir = Direction::kAtoB;
    int64_t first_us = 0;
    uint64_t request_bytes = 0, response_bytes = 0;
    uint64_t entries = 0, references = 0, intermediate = 0;
    bool response_started = false;
    bool gap = false;
  };

  static Bytes as_bytes(const std::string& s) {
    return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  void drain(Direction dir, Side& s, int64_t ts) {
    for (;;) {
      Bytes b = as_bytes(s.buf);
      if (s.resyncing) {
        size_t at = 0;
        bool need_more = false;
        for (; at < b.size(); ++at)
          if (b[at] == 0x30 && (plausible_start(b.subspan(at), need_more) || need_more)) break;
        s.buf.erase(0, at);
        if (s.buf.empty() || need_more) {
          if (s.buf.size() > kResyncWindow) s.buf.erase(0, s.buf.size() - kResyncWindow);
          return;
        }
        s.resyncing = false;
        continue;
      }
      if (b.empty()) return;
      uint8_t tag;
      size_t header;
      uint64_t length;
      auto h = ber::read_header(b, tag, header, length);
      if (h == ber::Header::kNeedMore) return;
      if (h == ber::Header::kBad || tag != 0x30) {
        ++env_.counters.malformed;
        s.resyncing = true;
        s.buf.erase(0, 1);
        continue;
      }
      if (length > kMaxMessage) {
        // Too large to keep: counted, its bytes skipped.
        ++env_.counters.malformed;
        uint64_t total = header + length;
        s.skip = total > b.size() ? total - b.size() : 0;
        s.buf.erase(0, size_t(std::min<uint64_t>(total, b.size())));
        continue;
      }
      size_t total = header + size_t(length);
      if (b.size() < total) return;
      message_at(dir, b.first(total), s.first_us, ts);
      s.buf.erase(0, total);
      s.first_us = ts;
      if (tls_started_) {
        // Bytes after the StartTLS response are the TLS handshake.
        std::string rest = std::move(s.buf);
        s.buf.clear();
        if (env_.session) env_.session->forward(dir, as_bytes(rest), ts);
        return;
      }
    }
  }

  // Decodes the message at the start of `b`; returns its size, 0 when not one.
  size_t message_at(Direction dir, Bytes b, int64_t first_us, int64_t last_us) {
    uint8_t tag;
    size_t header;
    uint64_t length;
    if (ber::read_header(b, tag, header, length) != ber::Header::kOk || tag != 0x30 ||
        length > b.size() - header)
      return 0;
    size_t total = header + size_t(length);
    LdapMessage m;
    if (!decode_ldap_message(b.first(total), m)) {
      ++env_.counters.malformed;
      return total;
    }
    ++env_.counters.messages;
    if (!m.error.empty()) ++env_.counters.malformed;
    message(dir, std::move(m), total, first_us, last_us);
    return total;
  }

  void message(Direction dir, LdapMessage&& m, uint64_t size, int64_t first_us, int64_t last_us) {
    if (m.request) {
      Pending p;
      p.request = std::move(m);
      p.dir = dir;
      p.first_us = first_us;
      p.request_bytes = size;
      if (p.request.op == kUnbind || p.request.op == kAbandon) {
        emit(p, nullptr, "");  // no response is ever sent
        return;
      }
      auto it = pending_.find(p.request.message_id);
      if (it != pending_.end()) {
        emit(it->second, nullptr, "no response");
        pending_.erase(it);
      }
      if (pending_.size() >= env_.settings.max_pending) {
        emit(pending_.begin()->second, nullptr, "no response");
        pending_.erase(pending_.begin());
      }
      pending_.emplace(p.request.message_id, std::move(p));
      return;
    }
    auto it = pending_.find(m.message_id);
    if (m.op == kSearchEntry || m.op == kSearchRef || m.op == kIntermediate) {
      if (it == pending_.end()) return;  // a search whose request was not captured
      Pending& p = it->second;
      p.response_started = true;
      p.response_bytes += size;
      if (m.op == kSearchEntry) ++p.entries;
      if (m.op == kSearchRef) ++p.references;
      if (m.op == kIntermediate) ++p.intermediate;
      return;
    }
    if (it == pending_.end()) {
      Pending orphan;
      orphan.dir = opposite(dir);
      orphan.first_us = first_us;
      orphan.response_bytes = size;
      // Message id 0 is an unsolicited notification, not a lost request.
      emit(orphan, &m, m.message_id == 0 ? "" : "no request", last_us);
      return;
    }
    Pending p = std::move(it->second);
    pending_.erase(it);
    p.response_bytes += size;
    bool start_tls = p.request.op == kExtendedRequest && m.result_code == 0 &&
                     p.request.fields.find("requestNameText") &&
                     p.request.fields.find("requestNameText")->str() == "StartTLS";
    emit(p, &m, p.gap ? "gap in stream" : "", last_us);
    if (start_tls) {
      tls_started_ = true;
      const ProtocolInfo* tls = protocol_by_name("tls");
      if (tls && env_.session) env_.session->switch_to(tls->create(env_));
    }
  }

  void emit(Pending& p, const LdapMessage* response, std::string_view error, int64_t last_us = 0) {
    Entry e;
    e.protocol = "ldap";
    e.version = "3";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(p.dir);
    e.dst = env_.flow.receiver(p.dir);
    e.timestamp_us = p.first_us;
    e.request_size = p.request_bytes;
    e.response_size = p.response_bytes;
    if (!p.request.operation.empty()) {
      e.request.set("messageId", p.request.message_id);
      e.request.set("operation", p.request.operation);
      for (auto& [k, v] : p.request.fields.fields_mut()) e.request.set(k, std::move(v));
    }
    if (response) {
      Json& r = e.response.emplace(Json::object());
      r.set("messageId", response->message_id);
      r.set("operation", response->operation);
      for (const auto& [k, v] : response->fields.fields()) r.set(k, v);
      if (p.request.op == 3) {
        r.set("entries", p.entries);
        if (p.references) r.set("references", p.references);
      }
      if (p.intermediate) r.set("intermediateResponses", p.intermediate);
      if (!p.request.operation.empty()) e.elapsed_ms = double(last_us - p.first_us) / 1000.0;
    }
    std::string decode_error = !p.request.error.empty() ? p.request.error
                               : response               ? response->error
                                                        : std::string();
    if (!error.empty()) {
      mark_problem(e, std::string(error), env_.counters);
    } else if (!decode_error.empty()) {
      mark_problem(e, EntryProblem::kMalformed, env_.counters, decode_error);
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Side sides_[2];
  std::map<int64_t, Pending> pending_;  // by message id
  bool tls_started_ = false;
};

Probe probe_ldap(Bytes first, Direction) {
  bool need_more = false;
  if (plausible_start(first, need_more)) return Probe::kYes;
  return need_more && !first.empty() && first[0] == 0x30 ? Probe::kMaybe : Probe::kNo;
}

std::unique_ptr<StreamDissector> create_ldap(const DissectorEnv& env) {
  return std::make_unique<LdapDissector>(env);
}

}  // namespace

const ProtocolInfo& ldap_protocol() {
  static const ProtocolInfo info{"ldap", kOverTcp | kOverUdp, {389, 3268}, probe_ldap, create_ldap};
  return info;
}

}  // namespace trawl
