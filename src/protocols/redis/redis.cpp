#include "protocols/redis/redis.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "base/text.h"
#include "dissect/entry_problem.h"
#include "dissect/in_order_pairing.h"
#include "protocols/redis/resp.h"

namespace trawl {

namespace {

constexpr size_t kMaxArgs = 64;  // arguments listed per command (all are counted)
constexpr std::string_view kRedacted = "[redacted]";

// Commands whose first argument is not a key; the others take it as the key
// unless key_index() below knows better.
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
  return std::binary_search(std::begin(kNoKey), std::end(kNoKey), c);  // the list is sorted
}

using Args = std::vector<std::string_view>;

// The index in `args` of the first key, or -1.
int key_index(std::string_view command, const Args& args) {
  // Commands whose key is not the first argument; they all start with one of
  // these letters, so most commands skip the comparisons.
  if (!command.empty() && std::string_view("BEFMOX").find(command[0]) != std::string_view::npos) {
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
        if (iequals(args[i], "STREAMS")) return int(i + 1);
      return -1;
    }
  }
  if (has_no_key(command) || args.empty()) return -1;
  return 0;
}

// AUTH passwords and the like never reach an entry.
void redact(std::string_view command, Args& args) {
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

std::string_view type_name(const RespNode& v) {
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

// Entries are written as JSON text straight from the parsed message: a tree per
// value cost more than the rest of the work together.

// A string, or {"base64": ...} when it is not UTF-8.
void write_text(std::string& out, std::string_view s) {
  size_t start = out.size();
  bool invalid = false;
  write_json_string(out, s, &invalid);
  if (!invalid) return;
  out.resize(start);
  out += "{\"base64\":\"";
  out += base64_encode(s);
  out += "\"}";
}

// The next element of an aggregate at or after node `i`, skipping attributes.
size_t element(const RespMessage& m, size_t i, size_t end) {
  while (i < end && m.nodes[i].type == '|') i = m.nodes[i].end;
  return i;
}

void write_value(std::string& out, const RespMessage& m, size_t i);

// A map (or attributes) with string keys is an object, otherwise a list of pairs.
void write_map(std::string& out, const RespMessage& m, size_t i) {
  const size_t end = m.nodes[i].end;
  bool string_keys = true;
  for (size_t k = element(m, i + 1, end); k < end && string_keys;) {
    const RespNode& key = m.nodes[k];
    string_keys =
        (key.type == '$' || key.type == '+') && !key.null && is_valid_utf8(m.text_of(key));
    size_t v = element(m, key.end, end);
    k = v < end ? element(m, m.nodes[v].end, end) : end;
  }
  out += string_keys ? '{' : '[';
  bool first = true;
  for (size_t k = element(m, i + 1, end); k < end;) {
    size_t v = element(m, m.nodes[k].end, end);
    if (v >= end) break;  // a key without its value (cut at a limit)
    if (!first) out += ',';
    first = false;
    if (string_keys) {
      write_json_string(out, m.text_of(m.nodes[k]));
      out += ':';
      write_value(out, m, v);
    } else {
      out += '[';
      write_value(out, m, k);
      out += ',';
      write_value(out, m, v);
      out += ']';
    }
    k = element(m, m.nodes[v].end, end);
  }
  out += string_keys ? '}' : ']';
}

void write_value(std::string& out, const RespMessage& m, size_t i) {
  const RespNode& v = m.nodes[i];
  if (v.null) {
    out += "null";
    return;
  }
  std::string_view text = m.text_of(v);
  switch (v.type) {
    case ':': {
      int64_t n;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && p == text.data() + text.size() && !text.empty())
        return write_json_number(out, n);
      return write_json_string(out, text);
    }
    case ',': {
      double d;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc() && p == text.data() + text.size() && !text.empty() && d == d &&
          d - d == 0)
        return write_json_number(out, d);
      return write_json_string(out, text);  // inf, -inf, nan
    }
    case '#':
      out += text == "t" ? "true" : "false";
      return;
    case '=':
      return write_text(out, text.size() >= 4 && text[3] == ':' ? text.substr(4) : text);
    case '%':
    case '|':
      return write_map(out, m, i);
    case '*':
    case '~':
    case '>':
    case 'i': {
      out += '[';
      bool first = true;
      for (size_t c = element(m, i + 1, v.end); c < v.end; c = element(m, m.nodes[c].end, v.end)) {
        if (!first) out += ',';
        first = false;
        write_value(out, m, c);
      }
      out += ']';
      return;
    }
    default:
      return write_text(out, text);
  }
}

bool any_truncated(const RespMessage& m) {
  for (const RespNode& n : m.nodes)
    if (n.truncated) return true;
  return false;
}

bool is_subscribe_command(std::string_view c) {
  return c == "SUBSCRIBE" || c == "PSUBSCRIBE" || c == "SSUBSCRIBE" || c == "UNSUBSCRIBE" ||
         c == "PUNSUBSCRIBE" || c == "SUNSUBSCRIBE";
}

// The lower-case kind of a pub/sub reply array ("message", "subscribe"...), or "".
std::string pubsub_kind(const RespMessage& m) {
  size_t i = m.value_index();
  const RespNode& v = m.nodes[i];
  if ((v.type != '*' && v.type != '>') || v.null) return {};
  size_t f = element(m, i + 1, v.end);
  if (f >= v.end) return {};
  const RespNode& first = m.nodes[f];
  if (first.type != '$' && first.type != '+') return {};
  std::string_view text = m.text_of(first);
  if (text.size() > 12) return {};
  std::string k = to_lower(text);
  static constexpr std::array<std::string_view, 9> kKinds = {
      "message",    "pmessage",    "smessage",     "subscribe",   "psubscribe",
      "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"};
  for (auto kind : kKinds)
    if (k == kind) return k;
  return {};
}

// The replies answering one request (several for SUBSCRIBE and the like), kept
// as the text of the entry's response object, which is built as they come.
struct Replies {
  size_t count = 0;
  std::string text;  // `{"type":"...","value":` and the values' JSON, comma-separated
  size_t values_at = 0;
  std::string attributes;  // the first reply's RESP3 attributes, as a JSON list
  bool truncated = false;
  uint64_t wire_bytes = 0;
  int64_t first_us = 0, last_us = 0;

  void add(const RespMessage& m) {
    size_t value = m.value_index();
    text.reserve(text.size() + m.wire_bytes + m.wire_bytes / 8 + 40);
    if (count == 0) {
      text += "{\"type\":\"";
      text += type_name(m.nodes[value]);
      text += "\",\"value\":";
      values_at = text.size();
      first_us = m.first_us;
      if (value > 0) {
        attributes += '[';
        for (size_t a = 0; a < value; a = m.nodes[a].end) {
          if (a > 0) attributes += ',';
          write_map(attributes, m, a);
        }
        attributes += ']';
      }
    } else {
      text += ',';
    }
    write_value(text, m, value);
    truncated = truncated || any_truncated(m);
    wire_bytes += m.wire_bytes;
    last_us = m.last_us;
    ++count;
  }

  // The entry's response: {"type", "value" (a list when several replied),
  // "attributes", "valueTruncated"}.
  Json response() && {
    if (count > 1) {
      text.insert(values_at, 1, '[');
      text += ']';
    }
    if (!attributes.empty()) {
      text += ",\"attributes\":";
      text += attributes;
    }
    if (truncated) text += ",\"valueTruncated\":true";
    text += '}';
    return Json::raw(std::move(text));
  }
};

// A request waiting for its replies: its entry fields are ready but for them.
struct Pending {
  std::string command;
  std::string request;  // the entry's request object as JSON text
  uint64_t held = 0;    // what it holds of the connection's memory share
  uint64_t wire_bytes = 0;
  int64_t first_us = 0;
  size_t replies_expected = 1;
  Replies replies;
  bool uncertain = false;
};

class RedisDissector : public StreamDissector {
 public:
  explicit RedisDissector(const DissectorEnv& env)
      : env_(env), pairing_(env.settings, env.counters), memory_(env.settings.memory) {}

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
    while (!pairing_.empty()) {
      Pending p = take_oldest();
      emit(&p, std::move(p.replies), "no response");
    }
  }

 private:
  RespParser& parser(Direction dir) {
    auto& p = parsers_[int(dir)];
    if (!p) {
      bool client = dir == client_;
      p = std::make_unique<RespParser>(client, env_.settings.max_body,
                                       [this, dir](const RespMessage& m) { message(dir, m); });
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

  void message(Direction dir, const RespMessage& m) {
    ++env_.counters.messages;
    size_t value = m.value_index();
    if (value > 0 || is_resp3(m.nodes[value].type)) resp3_ = true;
    if (dir == client_) return request(m);
    reply(m);
  }

  void request(const RespMessage& m) {
    Pending& p = pairing_.add([this](Pending& old) { return evict(old); });
    const size_t top = m.value_index();
    const RespNode& v = m.nodes[top];
    // The command word, then its arguments (views into the message).
    args_.clear();
    size_t elements = 0;
    bool cut = any_truncated(m);
    if (v.type == '*' || v.type == 'i') {
      for (size_t c = element(m, top + 1, v.end); c < v.end;
           c = element(m, m.nodes[c].end, v.end)) {
        if (elements++ == 0) {
          p.command = to_upper(m.text_of(m.nodes[c]));
        } else if (args_.size() < kMaxArgs) {
          args_.push_back(m.text_of(m.nodes[c]));
        } else {
          cut = true;
        }
      }
    }
    if (is_subscribe_command(p.command)) {
      subscribed_ = true;
      p.replies_expected = std::max<size_t>(1, elements - 1);
    }
    if (p.command == "HELLO" && !args_.empty() && args_[0] == "3") resp3_ = true;
    redact(p.command, args_);
    int key = key_index(p.command, args_);
    // {"command", "args", "key", "argsTruncated", "inline"}, as text.
    size_t bytes = 48 + p.command.size() + args_.size() * 3;
    for (auto a : args_) bytes += a.size() + a.size() / 8;
    if (key >= 0) bytes += args_[size_t(key)].size() + 8;
    if (!keep_arguments(p, bytes)) {
      args_.clear();
      key = -1;
      cut = true;
      bytes = 48 + p.command.size();
    }
    p.request.reserve(bytes);
    p.request += "{\"command\":";
    write_json_string(p.request, p.command);
    p.request += ",\"args\":[";
    for (size_t i = 0; i < args_.size(); ++i) {
      if (i > 0) p.request += ',';
      write_text(p.request, args_[i]);
    }
    p.request += ']';
    if (key >= 0) {
      p.request += ",\"key\":";
      write_text(p.request, args_[size_t(key)]);
    }
    if (cut) p.request += ",\"argsTruncated\":true";
    if (v.type == 'i') p.request += ",\"inline\":true";
    p.request += '}';
    p.wire_bytes = m.wire_bytes;
    p.first_us = m.first_us;
    p.uncertain = pairing_uncertain_;
  }

  void reply(const RespMessage& m) {
    std::string kind = pubsub_kind(m);
    bool confirmation = !kind.empty() && kind.find("subscribe") != std::string::npos;
    bool head_subscribes = !pairing_.empty() && is_subscribe_command(pairing_.oldest().command);
    if (m.nodes[m.value_index()].type == '>' || (subscribed_ && !kind.empty())) {
      if (!(confirmation && head_subscribes)) {
        Replies one;
        one.add(m);
        emit(nullptr, std::move(one), "");  // a push: a message nobody asked for in this exchange
        return;
      }
    }
    bool owed_to_evicted = pairing_.reply_to_evicted();
    if (pairing_.empty() || owed_to_evicted) {
      Replies one;
      one.add(m);
      if (owed_to_evicted) {  // the reply of a command sent out unanswered
        emit(nullptr, std::move(one), "no request: its command was evicted (too many in flight)");
      } else {
        emit(nullptr, std::move(one), "no request");
      }
      ++env_.counters.unpaired;
      return;
    }
    Pending& head = pairing_.oldest();
    head.replies.add(m);
    if (head.replies.count < head.replies_expected) return;
    Pending done = take_oldest();
    emit(&done, std::move(done.replies), done.uncertain ? "gap in stream" : "");
    if (pairing_.empty()) pairing_uncertain_ = false;
  }

  // Charges a command waiting for its replies to the memory budget. When the
  // budget is spent it waits without its arguments (false): its place in the
  // pipeline must stay, to pair the replies.
  [[gnu::noinline]] bool keep_arguments(Pending& p, size_t bytes) {
    if (!pairing_.over_byte_budget(bytes) && memory_.take(bytes)) {
      pairing_.hold(p, bytes);
      return true;
    }
    ++env_.counters.budget_drops;
    size_t bare = 48 + p.command.size();
    if (memory_.take(bare)) pairing_.hold(p, bare);
    return false;
  }

  // More commands in flight than kept: the oldest goes out unanswered; returns
  // the replies still to come for it, so later ones pair with theirs.
  [[gnu::noinline]] uint64_t evict(Pending& p) {
    uint64_t owed = p.replies_expected - std::min(p.replies_expected, p.replies.count);
    emit(&p, std::move(p.replies), "no response: evicted (too many in flight)");
    ++env_.counters.unpaired;
    memory_.give(p.held);
    return owed;
  }

  [[gnu::noinline]] Pending take_oldest() {
    memory_.give(pairing_.oldest().held);
    return pairing_.take_oldest();
  }

  void emit(Pending* request, Replies&& replies, std::string_view error) {
    Entry e;
    e.protocol = "redis";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(client_);
    e.dst = env_.flow.receiver(client_);
    if (request) {
      e.timestamp_us = request->first_us;
      e.request_size = request->wire_bytes;
      e.request = Json::raw(std::move(request->request));
    } else {
      e.timestamp_us = replies.first_us;
    }
    if (replies.count > 0) {
      e.response_size = replies.wire_bytes;
      if (request) e.elapsed_ms = double(replies.last_us - e.timestamp_us) / 1000.0;
      e.response = std::move(replies).response();
    }
    e.version = resp3_ ? "RESP3" : "RESP2";
    if (!error.empty()) mark_problem(e, std::string(error), env_.counters);
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  std::unique_ptr<RespParser> parsers_[2];
  Direction client_ = Direction::kAtoB;
  bool client_known_ = false;
  bool subscribed_ = false;
  bool resp3_ = false;
  bool pairing_uncertain_ = false;
  InOrderPairing<Pending> pairing_;  // commands waiting for their replies, in order
  ChunkedShare memory_;              // what they hold of the memory budget
  Args args_;                        // the request being rendered (reused)
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
