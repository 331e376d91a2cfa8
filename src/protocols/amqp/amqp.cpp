#include "protocols/amqp/amqp.h"

#include <cstring>
#include <deque>
#include <map>
#include <tuple>

#include "base/text.h"
#include "dissect/entry_problem.h"
#include "protocols/amqp/amqp_methods.h"

namespace trawl {

namespace {

using amqp::MethodSpec;

constexpr std::string_view kProtocolHeader("AMQP\0\0\x09\x01", 8);
constexpr uint32_t kMaxFrame = 64u << 20;  // a larger size field means lost framing
constexpr uint8_t kFrameEnd = 0xCE;
constexpr int kMaxTableDepth = 16;
constexpr size_t kMaxTableFields = 256;

enum FrameType : uint8_t { kMethod = 1, kHeader = 2, kBody = 3, kHeartbeat = 8 };

// Reads AMQP field values; any read past the end makes it not ok.
class FieldReader {
 public:
  explicit FieldReader(Bytes b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ >= b_.size(); }

  uint64_t uint(size_t n) {
    if (!ok_ || b_.size() - pos_ < n) return fail(), 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | b_[pos_ + i];
    pos_ += n;
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!ok_ || b_.size() - pos_ < n) return fail(), std::string_view();
    std::string_view s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::string_view shortstr() { return bytes(size_t(uint(1))); }
  std::string_view longstr() { return bytes(size_t(uint(4))); }

  Json table(int depth) {
    std::string_view raw = longstr();
    Json out = Json::object();
    FieldReader r(Bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
    size_t fields = 0;
    while (ok_ && r.ok() && !r.done() && fields++ < kMaxTableFields) {
      std::string name(r.shortstr());
      Json v = r.value(depth);
      if (r.ok()) out.set(std::move(name), std::move(v));
    }
    if (!r.ok()) fail();
    return out;
  }

  Json value(int depth) {
    if (depth > kMaxTableDepth) return fail(), Json();
    char type = char(uint(1));
    switch (type) {
      case 't':
        return Json(uint(1) != 0);
      case 'b':
        return Json(static_cast<long long>(int8_t(uint(1))));
      case 'B':
        return Json(static_cast<unsigned long long>(uint(1)));
      case 's':
        return Json(static_cast<long long>(int16_t(uint(2))));
      case 'u':
        return Json(static_cast<unsigned long long>(uint(2)));
      case 'I':
        return Json(static_cast<long long>(int32_t(uint(4))));
      case 'i':
        return Json(static_cast<unsigned long long>(uint(4)));
      case 'l':
        return Json(static_cast<long long>(int64_t(uint(8))));
      case 'T':
        return Json(static_cast<long long>(int64_t(uint(8))));
      case 'f': {
        uint32_t bits = uint32_t(uint(4));
        float f;
        std::memcpy(&f, &bits, 4);
        return Json(double(f));
      }
      case 'd': {
        uint64_t bits = uint(8);
        double d;
        std::memcpy(&d, &bits, 8);
        return Json(d);
      }
      case 'D': {
        uint64_t scale = uint(1);
        int64_t v = int32_t(uint(4));
        return Json(std::to_string(v) + "e-" + std::to_string(scale));
      }
      case 'S':
      case 'x': {
        std::string_view s = longstr();
        if (is_valid_utf8(s)) return Json(s);
        Json o = Json::object();
        o.set("base64", base64_encode(s));
        return o;
      }
      case 'A': {
        std::string_view raw = longstr();
        FieldReader r(Bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
        Json a = Json::array();
        size_t n = 0;
        while (ok_ && r.ok() && !r.done() && n++ < kMaxTableFields) a.push(r.value(depth + 1));
        if (!r.ok()) fail();
        return a;
      }
      case 'F':
        return table(depth + 1);
      case 'V':
        return Json();
      default:
        return fail(), Json();
    }
  }

 private:
  void fail() { ok_ = false; }
  Bytes b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Decodes a method's arguments by its spec into `out`.
bool decode_arguments(const MethodSpec& spec, FieldReader& r, Json& out) {
  std::string_view list = spec.arguments;
  uint8_t bits = 0;
  int bit_index = 8;  // consecutive bits share an octet, least significant first
  while (!list.empty()) {
    size_t space = list.find(' ');
    std::string_view arg = list.substr(0, space);
    list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
    size_t colon = arg.find(':');
    std::string_view type = arg.substr(0, colon), name = arg.substr(colon + 1);
    if (type != "bit") bit_index = 8;
    Json v;
    if (type == "octet") {
      v = Json(static_cast<unsigned long long>(r.uint(1)));
    } else if (type == "short") {
      v = Json(static_cast<unsigned long long>(r.uint(2)));
    } else if (type == "long") {
      v = Json(static_cast<unsigned long long>(r.uint(4)));
    } else if (type == "longlong" || type == "timestamp") {
      v = Json(static_cast<long long>(r.uint(8)));
    } else if (type == "shortstr") {
      std::string_view str = r.shortstr();
      v = is_valid_utf8(str) ? Json(str) : Json(base64_encode(str));
    } else if (type == "longstr") {
      std::string_view str = r.longstr();
      // SASL responses carry credentials: their size only.
      if (name == "response" || name == "challenge" || name == "newSecret") {
        name = name == "newSecret"  ? "newSecretSize"
               : name == "response" ? "responseSize"
                                    : "challengeSize";
        v = Json(static_cast<unsigned long long>(str.size()));
      } else {
        v = is_valid_utf8(str) ? Json(str) : Json(base64_encode(str));
      }
    } else if (type == "bit") {
      if (bit_index == 8) {
        bits = uint8_t(r.uint(1));
        bit_index = 0;
      }
      v = Json(((bits >> bit_index++) & 1) != 0);
    } else if (type == "table") {
      v = r.table(0);
    }
    if (!r.ok()) return false;
    if (name.substr(0, 8) != "reserved") out.set(std::string(name), std::move(v));
  }
  return true;
}

// Basic content properties (class 60), by flag bit from 15 down.
Json decode_properties(FieldReader& r, uint16_t flags) {
  static constexpr std::string_view kNames[] = {
      "contentType",   "contentEncoding", "headers",    "deliveryMode", "priority",
      "correlationId", "replyTo",         "expiration", "messageId",    "timestamp",
      "type",          "userId",          "appId",      "clusterId"};
  Json out = Json::object();
  for (int i = 0; i < 14 && r.ok(); ++i) {
    if (!(flags & (0x8000 >> i))) continue;
    std::string_view name = kNames[i];
    if (name == "headers") {
      out.set(std::string(name), r.table(0));
    } else if (name == "deliveryMode" || name == "priority") {
      out.set(std::string(name), static_cast<unsigned long long>(r.uint(1)));
    } else if (name == "timestamp") {
      out.set(std::string(name), static_cast<long long>(r.uint(8)));
    } else {
      out.set(std::string(name), r.shortstr());
    }
  }
  return out;
}

class AmqpDissector : public StreamDissector {
 public:
  explicit AmqpDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    Side& s = sides_[int(dir)];
    while (!data.empty() && !s.lost) {
      if (s.header_seen < kProtocolHeader.size() && s.frame_bytes == 0 &&
          (s.header_seen > 0 || data[0] == 'A')) {
        // The client's protocol header: "AMQP" 0 0 9 1.
        if (s.header_seen == 0) client_ = dir, client_known_ = true;
        size_t n = std::min(data.size(), kProtocolHeader.size() - s.header_seen);
        s.header_seen += n;
        data = data.subspan(n);
        continue;
      }
      if (s.frame_bytes < 7) {
        if (s.frame_bytes == 0) s.first_us = ts;
        s.head[s.frame_bytes++] = data[0];
        data = data.subspan(1);
        if (s.frame_bytes == 7) {
          s.size = load_be32(s.head + 3);
          if (s.size > kMaxFrame) {
            ++env_.counters.malformed;
            s.lost = true;  // no marker to find the next frame by
            return;
          }
          s.remaining = uint64_t(s.size) + 1;  // and the frame-end octet
          s.payload.clear();
        }
        continue;
      }
      size_t n = size_t(std::min<uint64_t>(s.remaining, data.size()));
      size_t keep_limit = std::max<size_t>(env_.settings.max_body, 64 * 1024);
      size_t keep = std::min(n, s.payload.size() < keep_limit ? keep_limit - s.payload.size() : 0);
      s.payload.append(reinterpret_cast<const char*>(data.data()), keep);
      s.remaining -= n;
      data = data.subspan(n);
      if (s.remaining == 0) {
        s.frame_bytes = 0;
        frame(dir, s, ts);
      }
    }
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    sides_[int(dir)].lost = true;  // frames have no marker to resynchronise on
    ++env_.counters.resyncs;
    for (auto& p : pending_) p.gap = true;
  }

  void on_close(int64_t) override {
    for (int d = 0; d < 2; ++d)
      for (auto& [channel, m] : sides_[d].content) {
        m.error = "truncated";
        emit_single(std::move(m));
      }
    while (!pending_.empty()) {
      Message req = std::move(pending_.front());
      pending_.pop_front();
      emit(std::move(req), nullptr, "no response");
    }
  }

 private:
  struct Message {
    const MethodSpec* spec = nullptr;
    uint16_t channel = 0;
    Direction dir = Direction::kAtoB;
    Json arguments = Json::object();
    Json properties;
    std::string body;
    BudgetShare body_held;  // its memory (a message per channel may wait for its body)
    uint64_t body_size = 0, body_received = 0;
    bool header_seen = false;
    uint64_t wire_bytes = 0;
    int64_t first_us = 0, last_us = 0;
    bool gap = false;
    std::string error;
  };

  struct Side {
    size_t header_seen = 0;
    uint8_t head[7] = {};
    size_t frame_bytes = 0;
    uint32_t size = 0;
    uint64_t remaining = 0;
    std::string payload;  // kept part of the frame payload, and the frame end
    int64_t first_us = 0;
    bool lost = false;
    std::map<uint16_t, Message> content;  // per channel: a content method awaiting its body
  };

  void frame(Direction dir, Side& s, int64_t ts) {
    uint8_t type = s.head[0];
    uint16_t channel = load_be16(s.head + 1);
    bool whole = s.payload.size() == uint64_t(s.size) + 1;
    if (whole && uint8_t(s.payload.back()) != kFrameEnd) {
      ++env_.counters.malformed;
      s.lost = true;
      return;
    }
    Bytes payload(reinterpret_cast<const uint8_t*>(s.payload.data()),
                  std::min<size_t>(s.payload.size(), s.size));
    uint64_t wire = 8 + uint64_t(s.size);
    if (type == kMethod) return method(dir, channel, payload, wire, s.first_us, ts);
    auto it = s.content.find(channel);
    if (it == s.content.end()) return;  // content whose method was not captured
    Message& m = it->second;
    m.wire_bytes += wire;
    m.last_us = ts;
    if (type == kHeader) {
      FieldReader r(payload);
      r.uint(2);  // class id
      r.uint(2);  // weight
      m.body_size = r.uint(8);
      uint16_t flags = uint16_t(r.uint(2));
      m.properties = decode_properties(r, flags);
      m.header_seen = true;
      if (!r.ok()) m.error = "malformed: content header";
    } else if (type == kBody) {
      m.body_received += s.size;
      size_t room =
          m.body.size() < env_.settings.max_body ? env_.settings.max_body - m.body.size() : 0;
      size_t keep = std::min(room, payload.size());
      if (m.body_held.budget() == nullptr) m.body_held = BudgetShare(env_.settings.memory);
      if (keep && !m.body_held.take(keep)) {  // the memory budget is spent
        ++env_.counters.budget_drops;
        keep = 0;
      }
      m.body.append(reinterpret_cast<const char*>(payload.data()), keep);
    }
    if (m.header_seen && m.body_received >= m.body_size) {
      Message done = std::move(m);
      s.content.erase(it);
      emit_single(std::move(done));
    }
  }

  void method(Direction dir, uint16_t channel, Bytes payload, uint64_t wire, int64_t first_us,
              int64_t ts) {
    ++env_.counters.messages;
    FieldReader r(payload);
    uint16_t class_id = uint16_t(r.uint(2)), method_id = uint16_t(r.uint(2));
    const MethodSpec* spec = r.ok() ? amqp::find_method(class_id, method_id) : nullptr;
    if (!spec) {
      ++env_.counters.malformed;
      return;
    }
    if (!client_known_) {
      // connection.start and the -ok answers come from the server; most else from clients.
      client_ = spec->name == "connection.start" ? opposite(dir) : dir;
      client_known_ = true;
    }
    Message m;
    m.spec = spec;
    m.channel = channel;
    m.dir = dir;
    m.wire_bytes = wire;
    m.first_us = first_us;
    m.last_us = ts;
    if (!decode_arguments(*spec, r, m.arguments)) {
      ++env_.counters.malformed;
      m.error = "malformed: " + std::string(spec->name) + " arguments";
    }
    // An answer to a synchronous method evicted unanswered (older than any
    // waiting): known for what it is, so later ones pair with theirs.
    for (auto it = evicted_.begin(); it != evicted_.end(); ++it) {
      const auto& [evicted_channel, evicted_spec, evicted_dir] = it->first;
      if (evicted_channel != channel || evicted_dir == dir || !answers(*evicted_spec, spec->name))
        continue;
      if (--it->second == 0) evicted_.erase(it);
      emit(std::move(m), nullptr, "no request: its method was evicted (too many in flight)");
      return;
    }
    // An answer to a synchronous method sent the other way on this channel?
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->channel != channel || it->dir == dir || !answers(*it->spec, spec->name)) continue;
      Message req = std::move(*it);
      pending_.erase(it);
      if (spec->content) {  // basic.get-ok: its content follows
        m.error = "";
        Message& waiting = sides_[int(dir)].content[channel];
        waiting = std::move(m);
        waiting_get_[channel] = std::move(req);
        return;
      }
      emit(std::move(req), &m, "");
      return;
    }
    if (spec->name == "channel.close" || spec->name == "connection.close") abandon_pending(m);
    if (spec->content) {
      sides_[int(dir)].content[channel] = std::move(m);
      return;
    }
    const Json* no_wait = m.arguments.find("noWait");
    bool waits = !spec->answers.empty() && !(no_wait && no_wait->dump() == "true");
    if (waits) {
      if (pending_.size() >= env_.settings.max_in_flight) evict_oldest();
      pending_.push_back(std::move(m));
      return;
    }
    emit_single(std::move(m));
  }

  // More synchronous methods in flight than kept: the oldest goes out
  // unanswered, and is counted to recognise its answer.
  void evict_oldest() {
    Message old = std::move(pending_.front());
    pending_.pop_front();
    ++evicted_[{old.channel, old.spec, old.dir}];
    ++env_.counters.pipeline_evictions;
    emit(std::move(old), nullptr, "no response: evicted (too many in flight)");
  }

  // A close ends the synchronous methods the other side was waiting on (a failed
  // passive declare is answered by channel.close 404): they get no -ok, and say why.
  void abandon_pending(const Message& close) {
    bool whole_connection = close.spec->name == "connection.close";
    std::string why = "no response: " + std::string(close.spec->name);
    if (const Json* code = close.arguments.find("replyCode")) why += " " + code->dump();
    if (const Json* text = close.arguments.find("replyText"); text && text->is_string())
      why += " " + text->str();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->dir == close.dir || (!whole_connection && it->channel != close.channel)) {
        ++it;
        continue;
      }
      Message req = std::move(*it);
      it = pending_.erase(it);
      emit(std::move(req), nullptr, why);
    }
  }

  static bool answers(const MethodSpec& request, std::string_view answer) {
    std::string_view list = request.answers;
    while (!list.empty()) {
      size_t bar = list.find('|');
      if (list.substr(0, bar) == answer) return true;
      list = bar == std::string_view::npos ? std::string_view() : list.substr(bar + 1);
    }
    return false;
  }

  // A message that is its own entry; basic.get-ok completes its basic.get.
  void emit_single(Message&& m) {
    if (m.spec->name == "basic.get-ok") {
      auto it = waiting_get_.find(m.channel);
      if (it != waiting_get_.end()) {
        Message req = std::move(it->second);
        waiting_get_.erase(it);
        emit(std::move(req), &m, "");
        return;
      }
    }
    emit(std::move(m), nullptr, "");
  }

  void set_message(Json& side, Message& m) {
    side.set("method", m.spec->name);
    side.set("channel", m.channel);
    for (auto& [k, v] : m.arguments.fields_mut()) side.set(k, std::move(v));
    if (m.spec->content) {
      if (!m.properties.is_null()) side.set("properties", std::move(m.properties));
      uint64_t kept = m.body.size();
      bool text = is_valid_utf8(m.body);
      if (text) {
        side.set("body", std::move(m.body));
      } else {
        side.set("bodyBase64", base64_encode(m.body));
      }
      side.set("bodySize", m.body_size);
      if (kept < m.body_received) {  // the cap, or the memory budget
        side.set("bodyTruncated", true);
        ++env_.counters.body_truncated;
      }
    }
  }

  void emit(Message&& req, Message* resp, std::string_view error) {
    Entry e;
    e.protocol = "amqp";
    e.version = "0-9-1";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(req.dir);
    e.dst = env_.flow.receiver(req.dir);
    e.timestamp_us = req.first_us;
    e.request_size = req.wire_bytes;
    set_message(e.request, req);
    if (resp) {
      set_message(e.response.emplace(Json::object()), *resp);
      e.response_size = resp->wire_bytes;
      e.elapsed_ms = double(resp->last_us - req.first_us) / 1000.0;
    }
    std::string problem = !req.error.empty() ? req.error : resp ? resp->error : std::string();
    if (req.gap) {
      mark_problem(e, EntryProblem::kGap, env_.counters);
    } else if (!error.empty()) {
      mark_problem(e, std::string(error), env_.counters);
    } else if (!problem.empty()) {
      mark_problem(e, std::move(problem), env_.counters);
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Side sides_[2];
  std::deque<Message> pending_;  // synchronous methods awaiting their answer
  // Methods sent out unanswered whose answers are still due, by channel, method
  // and direction (older than any waiting in pending_).
  std::map<std::tuple<uint16_t, const MethodSpec*, Direction>, uint64_t> evicted_;
  std::map<uint16_t, Message> waiting_get_;  // basic.get whose get-ok content is arriving
  Direction client_ = Direction::kAtoB;
  bool client_known_ = false;
};

// The protocol header, or a frame header followed by a known method.
Probe probe_amqp(Bytes first, Direction) {
  std::string_view t = as_text(first);
  size_t n = std::min(t.size(), kProtocolHeader.size());
  if (n >= 4 && t.substr(0, n) == kProtocolHeader.substr(0, n)) return Probe::kYes;
  if (first.size() < 12) return Probe::kNo;
  uint32_t size = load_be32(first.data() + 3);
  if (first[0] != kMethod || size < 4 || size > kMaxFrame) return Probe::kNo;
  if (!amqp::find_method(load_be16(first.data() + 7), load_be16(first.data() + 9)))
    return Probe::kNo;
  if (first.size() >= size + 8) return first[size + 7] == kFrameEnd ? Probe::kYes : Probe::kNo;
  return Probe::kMaybe;
}

std::unique_ptr<StreamDissector> create_amqp(const DissectorEnv& env) {
  return std::make_unique<AmqpDissector>(env);
}

}  // namespace

const ProtocolInfo& amqp_protocol() {
  static const ProtocolInfo info{"amqp", kOverTcp, {5672}, probe_amqp, create_amqp};
  return info;
}

}  // namespace trawl
