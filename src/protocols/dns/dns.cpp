#include "protocols/dns/dns.h"

#include <deque>
#include <string>

#include "base/text.h"
#include "dissect/entry_problem.h"
#include "protocols/dns/dns_message.h"

namespace trawl {

namespace {

constexpr size_t kMaxTcpMessage = 65535;

Json questions_json(const DnsMessage& m) {
  Json out = Json::array();
  for (const auto& q : m.questions) {
    Json j = Json::object();
    j.set("name", q.name);
    j.set("type", dns_type_name(q.type));
    j.set("class", dns_class_name(q.cls));
    out.push(std::move(j));
  }
  return out;
}

Json records_json(const std::vector<DnsRecord>& records) {
  Json out = Json::array();
  for (const auto& rr : records) {
    Json j = Json::object();
    j.set("name", rr.name);
    j.set("type", dns_type_name(rr.type));
    j.set("class", dns_class_name(rr.cls));
    j.set("ttl", rr.ttl);
    j.set("data", rr.data);
    out.push(std::move(j));
  }
  return out;
}

void header_fields(Json& side, const DnsMessage& m) {
  side.set("id", m.id);
  side.set("opcode", m.opcode);
  if (m.response) {
    side.set("rcode", m.rcode);
    side.set("rcodeName", dns_rcode_name(m.rcode));
    side.set("authoritative", m.authoritative);
    side.set("recursionAvailable", m.recursion_available);
  } else {
    side.set("recursionDesired", m.recursion_desired);
  }
  side.set("truncated", m.truncated);
}

// The pairing key: id, first question name (case-insensitive) and type.
std::string pairing_key(const DnsMessage& m) {
  std::string key = std::to_string(m.id);
  if (!m.questions.empty()) {
    key += '/';
    key += to_lower(m.questions[0].name);
    key += '/';
    key += std::to_string(m.questions[0].type);
  }
  return key;
}

class DnsDissector : public StreamDissector {
 public:
  explicit DnsDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    if (env_.flow.datagrams) {
      message(dir, data, ts, data.size(), false);
      return;
    }
    Side& s = sides_[int(dir)];
    if (s.resync) {
      // After a gap, take the data as a new start only if it begins with a message.
      if (data.size() < 14 || !plausible_dns_header(data.subspan(2))) return;
      s.resync = false;
    }
    if (s.buffer.empty()) s.first_us = ts;
    s.buffer.insert(s.buffer.end(), data.begin(), data.end());
    size_t pos = 0;
    while (s.buffer.size() - pos >= 2) {
      size_t len = load_be16(&s.buffer[pos]);
      if (s.buffer.size() - pos - 2 < len) break;
      message(dir, Bytes(s.buffer).subspan(pos + 2, len), s.first_us, len + 2, s.gap);
      s.gap = false;
      pos += 2 + len;
      s.first_us = ts;
    }
    s.buffer.erase(s.buffer.begin(), s.buffer.begin() + pos);
    if (s.buffer.size() > kMaxTcpMessage + 2) s.buffer.clear();
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    Side& s = sides_[int(dir)];
    s.buffer.clear();
    s.resync = true;
    s.gap = true;
    ++env_.counters.resyncs;
  }

  void on_close(int64_t) override {
    while (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      emit(std::move(p), nullptr);
    }
  }

 private:
  struct Side {
    std::vector<uint8_t> buffer;
    int64_t first_us = 0;
    bool resync = false;
    bool gap = false;
  };
  struct Pending {
    std::string key;
    Direction dir;
    int64_t ts;
    size_t size;
    Json request;
    bool gap;
  };
  struct Response {
    Json fields;
    int64_t ts;
    size_t size;
    bool gap;
  };

  void message(Direction dir, Bytes data, int64_t ts, size_t wire_size, bool gap) {
    ++env_.counters.messages;
    std::string error;
    auto msg = parse_dns_message(data, error);
    if (!msg) {
      ++env_.counters.malformed;
      Entry e = base_entry(dir, ts);
      e.request.set("bodyBase64", base64_encode(as_text(data)));
      e.request_size = wire_size;
      e.error = "malformed: " + error;
      env_.sink.emit(std::move(e));
      return;
    }
    if (!msg->response) {
      if (pending_.size() >= env_.settings.max_pending) {
        Pending old = std::move(pending_.front());
        pending_.pop_front();
        emit(std::move(old), nullptr);
      }
      Json req = Json::object();
      header_fields(req, *msg);
      req.set("questions", questions_json(*msg));
      pending_.push_back({pairing_key(*msg), dir, ts, wire_size, std::move(req), gap});
      return;
    }
    Response resp{Json::object(), ts, wire_size, gap};
    header_fields(resp.fields, *msg);
    resp.fields.set("questions", questions_json(*msg));
    resp.fields.set("answers", records_json(msg->answers));
    resp.fields.set("authorities", records_json(msg->authorities));
    resp.fields.set("additionals", records_json(msg->additionals));
    std::string key = pairing_key(*msg);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->key == key && it->dir != dir) {
        Pending p = std::move(*it);
        pending_.erase(it);
        emit(std::move(p), &resp);
        return;
      }
    }
    // A response without its query: the request side carries what the response
    // says of it (id, opcode), and no questions, which were never sent.
    Pending orphan{key, opposite(dir), ts, 0, Json::object(), false};
    orphan.request.set("id", msg->id);
    orphan.request.set("opcode", msg->opcode);
    emit(std::move(orphan), &resp);
  }

  Entry base_entry(Direction dir, int64_t ts) {
    Entry e;
    e.protocol = "dns";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(dir);
    e.dst = env_.flow.receiver(dir);
    e.timestamp_us = ts;
    return e;
  }

  void emit(Pending&& p, Response* resp) {
    Entry e = base_entry(p.dir, p.ts);
    bool orphan = p.size == 0 && resp;
    e.request = std::move(p.request);
    e.request_size = p.size;
    bool gap = p.gap;
    if (resp) {
      e.elapsed_ms = orphan ? 0 : double(resp->ts - p.ts) / 1000.0;
      e.response_size = resp->size;
      e.response = std::move(resp->fields);
      gap = gap || resp->gap;
    }
    if (gap) {
      mark_problem(e, EntryProblem::kGap, env_.counters);
    } else if (!resp) {
      mark_problem(e, EntryProblem::kNoResponse, env_.counters);
    } else if (orphan) {
      mark_problem(e, EntryProblem::kNoRequest, env_.counters);
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Side sides_[2];
  std::deque<Pending> pending_;
};

Probe probe_dns(Bytes first, Direction) {
  // Over UDP the bytes are one datagram; over TCP a 2-byte length comes first.
  // The probe cannot tell which, so it accepts either framing.
  auto whole_message = [](Bytes m) {
    std::string error;
    return plausible_dns_header(m) && parse_dns_message(m, error).has_value();
  };
  if (whole_message(first)) return Probe::kYes;
  if (first.size() >= 14) {
    size_t len = load_be16(&first[0]);
    Bytes m = first.subspan(2);
    if (len >= 12 && plausible_dns_header(m)) {
      if (m.size() < len) return Probe::kMaybe;
      // Length-prefixed messages may come several to a segment (glibc's resolver
      // writes A and AAAA queries together): the first one decides.
      return whole_message(m.first(len)) ? Probe::kYes : Probe::kNo;
    }
  }
  return Probe::kNo;
}

std::unique_ptr<StreamDissector> create_dns(const DissectorEnv& env) {
  return std::make_unique<DnsDissector>(env);
}

}  // namespace

const ProtocolInfo& dns_protocol() {
  static const ProtocolInfo info{
      "dns", kOverUdp | kOverTcp, {53, 5353, 5355}, probe_dns, create_dns};
  return info;
}

}  // namespace trawl
