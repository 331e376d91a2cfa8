#include "protocols/redis/redis.h"

#include <array>
#include <charconv>
#include <deque>

#include "base/text.h"
#include "protocols/redis/resp.h"

namespace trawl {

namespace {

constexpr size_t kMaxArgs = 64;  // arguments listed per command (all are counted)
constexpr std::string_view kRedacted = "[redacted]";

// Commands whose first argument is not a key; the others take it as the key
// unless listed in special_key() below.
bool has_no_key(std::string_view c) {
  static constexpr std::string_view kNoKey[] = {
      "ACL",          "AUTH",         "BGREWRITEAOF", "BGSAVE",     "CLIENT",      "CLUSTER",
      "COMMAND",      "CONFIG",       "DBSIZE",       "DEBUG",      "DISCARD",     "ECHO",
      "EXEC",         "FAILOVER",     "FLUSHALL",     "FLUSHDB",    "FUNCTION",    "HELLO",
      "INFO",         "KEYS",         "LASTSAVE",     "LATENCY",    "LOLWUT",      "MODULE",
      "MONITOR",      "MULTI",        "PING",         "PSUBSCRIBE", "PSYNC",       "PUBLISH",
      "PUBSUB",       "PUNSUBSCRIBE", "QUIT",         "RANDOMKEY",  "READONLY",    "READWRITE",
      "REPLICAOF",    "RESET",        "ROLE",         "SAVE",       "SCAN",        "SCRIPT",
      "SELECT",       "SHUTDOWN",     "SLOWLOG",      "SPUBLISH",   "SSUBSCRIBE",  "SUBSCRIBE",
      "SUNSUBSCRIBE", "SWAPDB",       "SYNC",         "TIME",       "UNSUBSCRIBE", "WAIT"};
  for (auto k : kNoKey)
    if (k == c) return true;
  return false;
}

// The index in `args` of the first key, or -1.
int key_index(std::string_view command, const std::vector<std::string>& args) {
  auto upper_eq = [](std::string_view a, std::string_view b) { return iequals(a, b); };
  if (command == "EVAL" || command == "EVALSHA" || command == "EVAL_RO" ||
      command == "EVALSHA_RO" || command == "FCALL" || command == "FCALL_RO") {
    // script numkeys key...
    return args.size() > 2 && args[1] != "0" ? 2 : -1;
  }
  if (command == "BITOP") return args.size() > 1 ? 1 : -1;  // operation destkey key...
  if (command == "OBJECT" || command == "MEMORY" || command == "XINFO")
    return args.size() > 1 ? 1 : -1;  // subcommand key
  if (command == "XREAD" || command == "XREADGROUP") {
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (upper_eq(args[i], "STREAMS")) return int(i + 1);
    return -1;
  }
  if (has_no_key(command) || args.empty()) return -1;
  return 0;
}

// AUTH passwords and the like never reach an entry.
void redact(std::string_view command, std::vector<std::string>& args) {
  if (command == "AUTH") {
    if (!args.empty()) args.back() = kRedacted;  // AUTH [user] password
    return;
  }
  if (command == "HELLO" || command == "MIGRATE") {
    // HELLO 3 AUTH user password; MIGRATE ... AUTH password | AUTH2 user password
    for (size_t i = 0; i < args.size(); ++i) {
      size_t secret = iequals(args[i], "AUTH2") || (command == "HELLO" && iequals(args[i], "AUTH"))
                          ? i + 2
                      : iequals(args[i], "AUTH") ? i + 1
                                                 : args.size();
      if (secret < args.size()) args[secret] = kRedacted;
    }
    return;
  }
  if (command == "CONFIG" && args.size() >= 3 && iequals(args[0], "SET")) {
    for (size_t i = 1; i + 1 < args.size(); i += 2)
      if (iequals(args[i], "requirepass") || iequals(args[i], "masterauth"))
        args[i + 1] = kRedacted;
  }
}

std::string_view type_name(const RespValue& v) {
  if (v.null) return "null";
  switch (v.type) {
    case '+':
      return "simple";
    case '-':
      return "error";
    case ':':
      return "integer";
    case '$':
      return "bulk";
    case '*':
      return "array";
    case '%':
      return "map";
    case '~':
      return "set";
    case ',':
      return "double";
    case '#':
      return "boolean";
    case '>':
      return "push";
    case '(':
      return "bignum";
    case '!':
      return "blobError";
    case '=':
      return "verbatim";
    default:
      return "unknown";
  }
}

bool is_resp3(char t) {
  return t == '_' || t == '%' || t == '~' || t == ',' || t == '#' || t == '>' || t == '(' ||
         t == '!' || t == '=' || t == '|';
}

Json text_json(std::string s) {
  if (is_valid_utf8(s)) return Json(std::move(s));
  Json o = Json::object();
  o.set("base64", base64_encode(s));
  return o;
}

Json value_json(const RespValue& v) {
  if (v.null) return Json();
  switch (v.type) {
    case ':': {
      long long n;
      auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
      if (ec == std::errc() && p == v.text.data() + v.text.size()) return Json(n);
      return Json(v.text);
    }
    case ',': {
      double d;
      auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
      if (ec == std::errc() && p == v.text.data() + v.text.size() && d == d && d - d == 0)
        return Json(d);
      return Json(v.text);  // inf, -inf, nan
    }
    case '#':
      return Json(v.text == "t");
    case '=':
      return text_json(v.text.size() >= 4 && v.text[3] == ':' ? v.text.substr(4) : v.text);
    case '%': {
      bool string_keys = true;
      for (size_t i = 0; i < v.items.size(); i += 2)
        string_keys = string_keys && (v.items[i].type == '$' || v.items[i].type == '+') &&
                      !v.items[i].null && is_valid_utf8(v.items[i].text);
      if (string_keys) {
        Json o = Json::object();
        for (size_t i = 0; i + 1 < v.items.size(); i += 2)
          o.set(v.items[i].text, value_json(v.items[i + 1]));
        return o;
      }
      Json pairs = Json::array();
      for (size_t i = 0; i + 1 < v.items.size(); i += 2) {
        Json pair = Json::array();
        pair.push(value_json(v.items[i]));
        pair.push(value_json(v.items[i + 1]));
        pairs.push(std::move(pair));
      }
      return pairs;
    }
    case '*':
    case '~':
    case '>': {
      Json a = Json::array();
      for (const auto& item : v.items) a.push(value_json(item));
      return a;
    }
    default:
      return text_json(v.text);
  }
}

bool is_subscribe_command(std::string_view c) {
  return c == "SUBSCRIBE" || c == "PSUBSCRIBE" || c == "SSUBSCRIBE" || c == "UNSUBSCRIBE" ||
         c == "PUNSUBSCRIBE" || c == "SUNSUBSCRIBE";
}

// The lower-case kind of a pub/sub reply array ("message", "subscribe"...), or "".
std::string pubsub_kind(const RespValue& v) {
  if ((v.type != '*' && v.type != '>') || v.null || v.items.empty()) return {};
  const RespValue& first = v.items[0];
  if (first.type != '$' && first.type != '+') return {};
  std::string k = to_lower(first.text);
  static constexpr std::array<std::string_view, 9> kKinds = {
      "message",    "pmessage",    "smessage",     "subscribe",   "psubscribe",
      "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"};
  for (auto kind : kKinds)
    if (k == kind) return k;
  return {};
}

class RedisDissector : public StreamDissector {
 public:
  explicit RedisDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    if (!client_known_) decide_client(dir, data);
    parser(dir).feed(data, ts);
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    if (!client_known_) return;
    bool in_sync = parser(dir).gap();
    if (!in_sync || dir == client_) pairing_uncertain_ = true;
    ++env_.counters.resyncs;
  }

  void on_close(int64_t) override {
    while (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      emit(&p.request, p.replies, "no response");
    }
  }

 private:
  struct Pending {
    RespValue request;
    std::string command;
    size_t replies_expected = 1;
    std::vector<RespValue> replies;
    bool uncertain = false;
  };

  RespParser& parser(Direction dir) {
    auto& p = parsers_[int(dir)];
    if (!p) {
      bool client = dir == client_;
      p = std::make_unique<RespParser>(client, env_.settings.max_body,
                                       [this, dir](RespValue&& v) { value(dir, std::move(v)); });
    }
    return *p;
  }

  // The client sends arrays or inline commands; a server's first byte names a reply
  // type. Without evidence, the initiator (or the side not on port 6379) is the client.
  void decide_client(Direction dir, Bytes data) {
    client_known_ = true;
    char c = data.empty() ? 0 : char(data[0]);
    bool reply_like = c == '+' || c == '-' || c == ':' || c == '$' || c == '_' || c == '#' ||
                      c == ',' || c == '(' || c == '!' || c == '=' || c == '%' || c == '~' ||
                      c == '>' || c == '|';
    if (reply_like) {
      client_ = opposite(dir);
    } else if (env_.flow.a.port == 6379 && env_.flow.b.port != 6379) {
      client_ = Direction::kBtoA;
    } else {
      client_ = Direction::kAtoB;
    }
  }

  void value(Direction dir, RespValue&& v) {
    ++env_.counters.messages;
    if (is_resp3(v.type)) resp3_ = true;
    if (dir == client_) return request(std::move(v));
    reply(std::move(v));
  }

  void request(RespValue&& v) {
    Pending p;
    if ((v.type == '*' || v.type == 'i') && !v.items.empty()) p.command = to_upper(v.items[0].text);
    if (is_subscribe_command(p.command)) {
      subscribed_ = true;
      p.replies_expected = std::max<size_t>(1, v.items.size() - 1);
    }
    if (p.command == "HELLO" && v.items.size() > 1 && v.items[1].text == "3") resp3_ = true;
    p.request = std::move(v);
    p.uncertain = pairing_uncertain_;
    if (pending_.size() >= env_.settings.max_pending) {
      Pending old = std::move(pending_.front());
      pending_.pop_front();
      emit(&old.request, old.replies, "no response");
    }
    pending_.push_back(std::move(p));
  }

  void reply(RespValue&& v) {
    std::string kind = pubsub_kind(v);
    bool confirmation = !kind.empty() && kind.find("subscribe") != std::string::npos;
    bool head_subscribes = !pending_.empty() && is_subscribe_command(pending_.front().command);
    if (v.type == '>' || (subscribed_ && !kind.empty())) {
      if (!(confirmation && head_subscribes)) {
        std::vector<RespValue> one;
        one.push_back(std::move(v));
        emit(nullptr, one, "");  // a push: a message nobody asked for in this exchange
        return;
      }
    }
    if (pending_.empty()) {
      std::vector<RespValue> one;
      one.push_back(std::move(v));
      emit(nullptr, one, "no request");
      ++env_.counters.unpaired;
      return;
    }
    Pending& head = pending_.front();
    head.replies.push_back(std::move(v));
    if (head.replies.size() < head.replies_expected) return;
    Pending done = std::move(head);
    pending_.pop_front();
    emit(&done.request, done.replies, done.uncertain ? "gap in stream" : "");
    if (pending_.empty()) pairing_uncertain_ = false;
  }

  // Takes the request's strings (it is done with once emitted).
  void emit(RespValue* request, const std::vector<RespValue>& replies, std::string_view error) {
    Entry e;
    e.protocol = "redis";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(client_);
    e.dst = env_.flow.receiver(client_);
    if (request) {
      e.timestamp_us = request->first_us;
      e.request_size = request->wire_bytes;
      std::string command;
      std::vector<std::string> args;
      if ((request->type == '*' || request->type == 'i') && !request->items.empty()) {
        command = to_upper(request->items[0].text);
        args.reserve(std::min(request->items.size() - 1, kMaxArgs));
        for (size_t i = 1; i < request->items.size() && args.size() < kMaxArgs; ++i)
          args.push_back(std::move(request->items[i].text));
      }
      redact(command, args);
      int key = key_index(command, args);
      Json key_json = key >= 0 ? text_json(args[size_t(key)]) : Json();
      e.request.set("command", std::move(command));
      Json list = Json::array();
      for (auto& a : args) list.push(text_json(std::move(a)));
      e.request.set("args", std::move(list));
      if (key >= 0) e.request.set("key", std::move(key_json));
      if (request->items.size() > kMaxArgs + 1 || request->truncated)
        e.request.set("argsTruncated", true);
      if (request->type == 'i') e.request.set("inline", true);
    } else {
      e.timestamp_us = replies.empty() ? 0 : replies.front().first_us;
    }
    if (!replies.empty()) {
      Json& r = e.response.emplace(Json::object());
      const RespValue& first = replies.front();
      r.set("type", type_name(first));
      if (replies.size() == 1) {
        r.set("value", value_json(first));
      } else {
        Json all = Json::array();
        for (const auto& rv : replies) all.push(value_json(rv));
        r.set("value", std::move(all));
      }
      if (!first.attributes.empty()) {
        Json attrs = Json::array();
        for (const auto& a : first.attributes) {
          RespValue as_map = a;
          as_map.type = '%';
          attrs.push(value_json(as_map));
        }
        r.set("attributes", std::move(attrs));
      }
      for (const auto& rv : replies) {
        e.response_size += rv.wire_bytes;
        if (rv.truncated) r.set("valueTruncated", true);
      }
      if (request) e.elapsed_ms = double(replies.back().last_us - e.timestamp_us) / 1000.0;
    }
    e.version = resp3_ ? "RESP3" : "RESP2";
    if (!error.empty()) {
      e.error = std::string(error);
      if (error == "no response") ++env_.counters.unpaired;
      if (error == "gap in stream") ++env_.counters.gap_entries;
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  std::unique_ptr<RespParser> parsers_[2];
  Direction client_ = Direction::kAtoB;
  bool client_known_ = false;
  bool subscribed_ = false;
  bool resp3_ = false;
  bool pairing_uncertain_ = false;
  std::deque<Pending> pending_;
};

// "*<n>\r\n$" starts a command; a reply line ("+OK\r\n", ":1\r\n", "$5\r\n") or an
// inline command only leans towards Redis (the port decides).
Probe probe_redis(Bytes first, Direction) {
  std::string_view t = as_text(first.first(std::min<size_t>(first.size(), 64)));
  size_t crlf = t.find("\r\n");
  if (t.size() < 4) return Probe::kNo;
  if (t[0] == '*') {
    size_t i = 1;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == 1 || crlf != i || t.size() <= i + 2) return Probe::kNo;
    char next = t[i + 2];
    if (next == '$') return Probe::kYes;  // a command (or an array of strings)
    // A reply array of other types, or a RESP3 attribute inside one.
    return std::string_view("+-:*%~>|_#,(!=").find(next) != std::string_view::npos ? Probe::kMaybe
                                                                                   : Probe::kNo;
  }
  if (crlf == std::string_view::npos || crlf == 0) return Probe::kNo;
  std::string_view line = t.substr(0, crlf);
  char c = line[0];
  std::string_view rest = line.substr(1);
  auto number = [](std::string_view n) {
    if (!n.empty() && n[0] == '-') n.remove_prefix(1);
    if (n.empty()) return false;
    for (char d : n)
      if (d < '0' || d > '9') return false;
    return true;
  };
  if (c == '+' || c == '-') return Probe::kMaybe;
  if (std::string_view(":$%~>|(!=").find(c) != std::string_view::npos)
    return number(rest) ? Probe::kMaybe : Probe::kNo;
  if (c == '_') return rest.empty() ? Probe::kMaybe : Probe::kNo;
  if (c == '#') return rest == "t" || rest == "f" ? Probe::kMaybe : Probe::kNo;
  if (c == ',') return rest.empty() ? Probe::kNo : Probe::kMaybe;
  // An inline command: a command name, then printable arguments.
  size_t i = 0;
  auto letter = [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); };
  while (i < line.size() &&
         (letter(line[i]) || (i > 0 && ((line[i] >= '0' && line[i] <= '9') || line[i] == '_'))))
    ++i;
  if (i == 0 || (i < line.size() && line[i] != ' ')) return Probe::kNo;
  for (; i < line.size(); ++i)
    if (uint8_t(line[i]) < 0x20 || uint8_t(line[i]) == 0x7F) return Probe::kNo;
  return Probe::kMaybe;
}

std::unique_ptr<StreamDissector> create_redis(const DissectorEnv& env) {
  return std::make_unique<RedisDissector>(env);
}

}  // namespace

const ProtocolInfo& redis_protocol() {
  static const ProtocolInfo info{"redis", kOverTcp, {6379, 6380, 26379}, probe_redis, create_redis};
  return info;
}

}  // namespace trawl
