#include "protocols/tls/tls.h"

#include <optional>

#include "dissect/entry_problem.h"
#include "protocols/tls/tls_handshake.h"

namespace trawl {

namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint8_t kServerHello = 2;
constexpr size_t kMaxHandshakeMessage = 1 << 17;  // hellos with post-quantum shares fit

Json string_list(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push(v);
  return out;
}

class TlsDissector : public StreamDissector {
 public:
  explicit TlsDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    Side& s = sides_[int(dir)];
    if (s.done) return;
    if (s.records.empty()) s.first_us = ts;
    s.records.insert(s.records.end(), data.begin(), data.end());
    // Whole records: handshake payloads are joined, anything else ends the
    // cleartext part of this direction.
    size_t pos = 0;
    while (!s.done && s.records.size() - pos >= 5) {
      uint8_t type = s.records[pos];
      size_t len = load_be16(&s.records[pos + 3]);
      if (type != kHandshakeRecord || s.records[pos + 1] != 3) {
        s.done = true;
        break;
      }
      if (s.records.size() - pos - 5 < len) break;
      s.handshake.insert(s.handshake.end(), s.records.begin() + long(pos) + 5,
                         s.records.begin() + long(pos + 5 + len));
      pos += 5 + len;
      handshake_messages(dir, s, ts);
    }
    if (s.done) {
      give_up(s);
      return;
    }
    s.records.erase(s.records.begin(), s.records.begin() + long(pos));
    if (s.handshake.size() > kMaxHandshakeMessage || s.records.size() > kMaxHandshakeMessage + 5)
      give_up(s);
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    Side& s = sides_[int(dir)];
    if (s.done) return;
    gap_ = true;
    give_up(s);
  }

  void on_close(int64_t) override {
    if (client_hello_ && !emitted_) emit();
  }

 private:
  struct Side {
    std::vector<uint8_t> records;    // partial record
    std::vector<uint8_t> handshake;  // joined handshake payloads
    int64_t first_us = 0;
    bool done = false;
  };

  void give_up(Side& s) {
    s.done = true;
    s.records.clear();
    s.handshake.clear();
  }

  void handshake_messages(Direction dir, Side& s, int64_t ts) {
    size_t pos = 0;
    while (s.handshake.size() - pos >= 4) {
      uint8_t type = s.handshake[pos];
      size_t len = load_be24(&s.handshake[pos + 1]);
      if (s.handshake.size() - pos - 4 < len) break;
      Bytes body = Bytes(s.handshake).subspan(pos + 4, len);
      pos += 4 + len;
      ++env_.counters.messages;
      if (type == kClientHello && !client_hello_) {
        client_hello_ = parse_client_hello(body);
        if (!client_hello_) {
          ++env_.counters.malformed;
          malformed_ = "malformed: ClientHello";
          client_hello_.emplace();
        }
        client_dir_ = dir;
        client_us_ = s.first_us;
        client_size_ = 4 + len;
        s.done = true;  // nothing else of this direction is needed
      } else if (type == kServerHello && !server_hello_) {
        server_hello_ = parse_server_hello(body);
        if (!server_hello_) {
          ++env_.counters.malformed;
          malformed_ = "malformed: ServerHello";
        }
        server_us_ = ts;
        server_size_ = 4 + len;
        s.done = true;
        if (!client_hello_) client_dir_ = opposite(dir);
        // One handshake, one entry: a HelloRetryRequest answers the first
        // ClientHello and the retried ClientHello is not another handshake.
        emit();
        return;
      }
      if (s.done) break;
    }
    s.handshake.erase(s.handshake.begin(), s.handshake.begin() + long(pos));
  }

  void emit() {
    if (emitted_) return;
    emitted_ = true;
    for (Side& s : sides_) give_up(s);
    Entry e;
    e.protocol = "tls";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(client_dir_);
    e.dst = env_.flow.receiver(client_dir_);
    e.timestamp_us = client_hello_ ? client_us_ : server_us_;
    e.request_size = client_size_;
    if (client_hello_) {
      const ClientHello& ch = *client_hello_;
      Json& q = e.request;
      q.set("version", tls_version_name(ch.legacy_version));
      q.set("sni", ch.sni);
      q.set("alpn", string_list(ch.alpn));
      q.set("cipherSuites", ch.cipher_suites.size());
      Json versions = Json::array();
      for (uint16_t v : ch.supported_versions)
        if (!is_grease(v)) versions.push(tls_version_name(v));
      q.set("supportedVersions", std::move(versions));
      q.set("ja3", ja3_hash(ch));
      q.set("ja3String", ja3_string(ch));
      q.set("ja4", ja4(ch));
    }
    if (server_hello_) {
      const ServerHello& sh = *server_hello_;
      e.elapsed_ms = client_hello_ ? double(server_us_ - client_us_) / 1000.0 : 0;
      e.response_size = server_size_;
      Json& r = e.response.emplace(Json::object());
      r.set("version", tls_version_name(sh.selected_version));
      r.set("cipherSuite", cipher_suite_name(sh.cipher_suite));
      r.set("alpn", sh.alpn.empty() ? std::string() : sh.alpn[0]);
      if (sh.hello_retry_request) r.set("helloRetryRequest", true);
    }
    if (!malformed_.empty()) {
      mark_problem(e, malformed_, env_.counters);
    } else if (gap_) {
      mark_problem(e, EntryProblem::kGap, env_.counters);
    } else if (!server_hello_) {
      mark_problem(e, EntryProblem::kNoResponse, env_.counters);
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Side sides_[2];
  std::optional<ClientHello> client_hello_;
  std::optional<ServerHello> server_hello_;
  Direction client_dir_ = Direction::kAtoB;
  int64_t client_us_ = 0, server_us_ = 0;
  size_t client_size_ = 0, server_size_ = 0;
  bool emitted_ = false;
  bool gap_ = false;
  std::string malformed_;
};

Probe probe_tls(Bytes first, Direction) {
  if (first.size() < 3 || first[0] != kHandshakeRecord || first[1] != 3 || first[2] > 4)
    return Probe::kNo;
  if (first.size() < 6) return Probe::kMaybe;
  return first[5] == kClientHello || first[5] == kServerHello ? Probe::kYes : Probe::kNo;
}

std::unique_ptr<StreamDissector> create_tls(const DissectorEnv& env) {
  return std::make_unique<TlsDissector>(env);
}

}  // namespace

const ProtocolInfo& tls_protocol() {
  static const ProtocolInfo info{
      "tls", kOverTcp, {443, 8443, 636, 993, 995, 465, 853}, probe_tls, create_tls};
  return info;
}

}  // namespace trawl
