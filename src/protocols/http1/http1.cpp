#include "protocols/http1/http1.h"

#include <memory>

#include "base/decompress.h"
#include "base/text.h"
#include "dissect/entry_problem.h"
#include "dissect/in_order_pairing.h"
#include "dissect/registry.h"
#include "entries/json_writer.h"
#include "protocols/graphql/graphql.h"
#include "protocols/http1/http1_parser.h"
#include "protocols/http1/http_fields.h"

namespace trawl {

namespace {

constexpr size_t kCompressedKeep = 1 << 20;  // compressed body kept to decode max_body

class Http1Dissector : public StreamDissector {
 public:
  explicit Http1Dissector(const DissectorEnv& env)
      : env_(env),
        sides_{Side(*this, Direction::kAtoB), Side(*this, Direction::kBtoA)},
        pairing_(env.settings, env.counters) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    sides_[int(dir)].parser.feed(data, ts);
  }

  void on_gap(Direction dir, uint64_t length, int64_t ts) override {
    Side& s = sides_[int(dir)];
    bool in_sync = s.parser.gap(length, ts);
    // Requests lost whole would shift the in-order pairing of later responses.
    if (!in_sync && dir == request_dir_) pairing_uncertain_ = true;
  }

  void on_close(int64_t ts) override {
    for (Side& s : sides_) s.parser.close(ts);
    while (!pairing_.empty()) pairing_.finish_oldest([this](Exchange& ex) { emit(std::move(ex)); });
  }

 private:
  struct Exchange {
    Http1MessagePtr request;  // once complete
    bool request_complete = false;
    Http1MessagePtr response;
    Direction request_dir = Direction::kAtoB;
    bool uncertain = false;       // paired after a gap on the request side
    bool evicted = false;         // sent out unanswered: too many were in flight
    std::string handshake_error;  // a 101 whose next protocol found it wrong
    uint64_t held = 0;            // its request's bytes (InOrderPairing::hold)
  };

  struct Side : Http1Parser::Handler {
    Side(Http1Dissector& d, Direction dir)
        : owner(d),
          dir(dir),
          parser(*this, d.env_.settings.max_header_block, d.env_.settings.max_body,
                 d.env_.settings.memory) {}
    bool message_may_have_body(const Http1Message& head) override {
      return owner.may_have_body(*this, head);
    }
    void on_message(Http1MessagePtr m) override { owner.message(*this, std::move(m)); }
    void on_resync() override { ++owner.env_.counters.resyncs; }
    void on_memory_refused() override { ++owner.env_.counters.budget_drops; }
    void on_after_stop(Bytes rest, int64_t ts) override {
      if (owner.handed_over_) owner.env_.session->forward(dir, rest, ts);
    }
    Side(const Side&) = delete;  // the parser holds a reference to its handler

    Http1Dissector& owner;
    Direction dir;
    Http1Parser parser;
    Exchange* current = nullptr;  // the request being received on this side
  };

  bool may_have_body(Side& side, const Http1Message& head) {
    std::string_view ce = head.header(Http1Header::kContentEncoding);
    bool encoded = codec_from_content_encoding(ce) != Codec::kIdentity;
    side.parser.set_body_keep(encoded ? kCompressedKeep : env_.settings.max_body);
    if (head.is_request) {
      // Queue the request now, so a response that comes before its body ends
      // (100 Continue, an early error) still pairs with it.
      if (pairing_.empty()) request_dir_ = side.dir;
      Exchange& ex = pairing_.add([this](Exchange& old) { return evict(old); });
      ex.request_dir = side.dir;
      side.current = &ex;
      // Past the connection's share, requests wait for their responses without
      // their bodies (cut, and counted as truncated).
      if (pairing_.over_byte_budget()) {
        side.parser.set_body_keep(0);
        std::string_view length = head.header(Http1Header::kContentLength);
        if (!head.header(Http1Header::kTransferEncoding).empty() ||
            (!length.empty() && length != "0"))
          ++env_.counters.budget_drops;  // counted now, not when the exchange ends
      }
      return true;
    }
    if (head.status / 100 == 1 || head.status == 204 || head.status == 304) return false;
    const Exchange* ex = answered_by(side);
    return !(ex && request_of(*ex).method() == "HEAD");
  }

  // More requests in flight than kept: the oldest goes out unanswered; its
  // response, when it comes, is known for what it is (the responses it still owes).
  uint64_t evict(Exchange& oldest) {
    for (Side& s : sides_)
      if (s.current == &oldest) s.current = nullptr;
    oldest.evicted = true;
    uint64_t owed = oldest.response ? 0 : 1;
    emit(std::move(oldest));
    return owed;
  }

  // The exchange a response on `side` answers: the oldest request from the other side.
  Exchange* answered_by(const Side& side) {
    for (size_t i = 0; i < pairing_.count(); ++i)
      if (pairing_.waiting(i).request_dir != side.dir) return &pairing_.waiting(i);
    return nullptr;
  }

  // The exchange's request, or an empty one while it is not complete.
  static const Http1Message& request_of(const Exchange& ex) {
    static const Http1Message kNone;
    return ex.request ? *ex.request : kNone;
  }

  // The body decoded now, not when the exchange is emitted: a request waiting
  // for its response holds at most max_body, not its compressed bytes.
  void decode(Http1Message& m) {
    uint64_t kept = m.body.size();
    m.body_state = decode_body(m.body, m.body_bytes, m.body_capped,
                               m.header(Http1Header::kContentEncoding), env_.settings.max_body);
    m.body_decoded = true;
    if (m.body.size() == kept) return;  // decoding changed nothing the budget counts
    uint64_t head = m.held.held() - std::min(m.held.held(), kept);
    if (!m.held.resize(head + m.body.size())) {
      // Decoding grew it past the budget: what the budget took is kept.
      ++env_.counters.budget_drops;
      m.body.resize(std::min<uint64_t>(kept, m.body.size()));
      m.body.shrink_to_fit();
      m.body_state.truncated = true;
      m.held.resize(head + m.body.size());
    }
  }

  void message(Side& side, Http1MessagePtr m) {
    ++env_.counters.messages;
    decode(*m);
    if (m->is_request) {
      Exchange* ex = side.current;
      side.current = nullptr;
      if (!ex) return;
      ex->request = std::move(m);
      ex->request_complete = true;
      pairing_.hold(*ex, ex->request->held.held());
      if (ex->request->method() == "CONNECT") side.parser.stop();
      flush_ready();
      return;
    }
    if (m->status / 100 == 1 && m->status != 101) return;  // interim response
    if (pairing_.reply_to_evicted()) {  // the response of a request sent out unanswered
      Exchange orphan;
      orphan.request_dir = opposite(side.dir);
      orphan.response = std::move(m);
      orphan.evicted = true;
      emit(std::move(orphan));
      return;
    }
    Exchange* ex = answered_by(side);
    if (!ex) {
      // A response whose request was not captured.
      Exchange orphan;
      orphan.request_dir = opposite(side.dir);
      orphan.response = std::move(m);
      emit(std::move(orphan));
      return;
    }
    ex->uncertain = pairing_uncertain_;
    ex->response = std::move(m);
    if (ex->response->status == 101) hand_over(*ex);
    if (ex->response->status == 101 ||
        (request_of(*ex).method() == "CONNECT" && ex->response->status / 100 == 2)) {
      // The connection now carries another protocol.
      for (Side& s : sides_) s.parser.stop();
    }
    flush_ready();
  }

  // After 101 Switching Protocols the protocol named by `Upgrade` (websocket,
  // h2c) dissects the rest of the connection, when trawl knows it.
  void hand_over(Exchange& ex) {
    const Http1Message& resp = *ex.response;
    const Http1Message& request = request_of(ex);
    std::string_view token = resp.header(Http1Header::kUpgrade);
    if (token.empty()) token = request.header(Http1Header::kUpgrade);
    const ProtocolInfo* next = protocol_for_upgrade(trim(token));
    if (!next) return;
    UpgradeContext up;
    up.client = ex.request_dir;
    up.request_headers = request.header_list();
    up.response_headers = resp.header_list();
    up.method = request.method();
    up.target = request.target();
    up.timestamp_us = resp.last_us;
    if (!env_.session) return;
    env_.session->switch_to(next->create_upgraded(env_, up));
    handed_over_ = true;
    ex.handshake_error = std::move(up.handshake_error);
  }

  // Emits, in order, the exchanges that are complete.
  void flush_ready() {
    while (!pairing_.empty() && pairing_.oldest().request_complete && pairing_.oldest().response)
      pairing_.finish_oldest([this](Exchange& ex) { emit(std::move(ex)); });
    if (pairing_.empty()) pairing_uncertain_ = false;
  }

  // The body decoded if it is not yet; the Content-Encoding that failed to
  // decode, taken before the headers are merged.
  std::string decode_for_entry(Http1Message& m) {
    if (!m.body_decoded) decode(m);
    return m.body_state.decode_failed ? std::string(m.header(Http1Header::kContentEncoding))
                                      : std::string();
  }

  // The headers, body and trailers fields of a side's JSON text; false when
  // the body was written as base64 (not text) or is empty.
  bool write_fields_and_body(JsonWriter& w, Http1Message& m) {
    std::string failed_encoding = decode_for_entry(m);
    m.merge_fields(m.headers);
    w.literal(",\"headers\":");
    if (std::string_view json = m.headers_json(); !json.empty())
      w.literal(json);
    else
      m.write_fields_json(w.out(), m.headers);
    BodyWritten written = write_body_fields(w, m.body, m.body_state, failed_encoding);
    if (written.truncated) ++env_.counters.body_truncated;
    if (!m.trailers.empty()) {
      m.merge_fields(m.trailers);
      w.literal(",\"trailers\":");
      m.write_fields_json(w.out(), m.trailers);
    }
    return written.as_text;
  }

  // The request as entry.md's JSON text but its closing brace, written
  // straight from the parsed message (no tree: this is the hot path of dense
  // traffic), with the fields a GraphQL request adds. Returns whether it is one.
  bool write_request(std::string& text, Http1Message& r) {
    std::string_view target = r.target();
    size_t qmark = target.find('?');
    QueryParams params;
    if (qmark != std::string_view::npos) params = parse_query_params(target.substr(qmark + 1));
    text.reserve(r.held.held() + r.body.size() / 8 + 128);
    bool body_is_text;
    {
      JsonWriter w(text);
      w.literal("{\"method\":");
      w.string(r.method());
      w.literal(",\"url\":");
      w.string(target);
      w.literal(",\"path\":");
      w.string(target.substr(0, qmark));
      w.literal(",\"queryString\":");
      if (params.empty())
        w.literal("{}");
      else
        write_query_string_json(w.out(), params);
      w.literal(",\"host\":");
      w.string(r.header(Http1Header::kHost));
      body_is_text = write_fields_and_body(w, r);
    }
    // GraphQL over GET has a query string, over POST a body: most requests have neither.
    if (params.empty() && (!body_is_text || r.body.empty())) return false;
    GraphqlRequest g{r.method(),
                     r.header(Http1Header::kContentType),
                     single_query_value(params, "query"),
                     single_query_value(params, "variables"),
                     single_query_value(params, "operationName"),
                     body_is_text ? std::string_view(r.body) : std::string_view()};
    Json graphql = graphql_request_fields(g);
    if (graphql.is_null()) return false;
    for (const auto& [key, value] : graphql.fields()) {
      text += ',';
      write_json_string(text, key);
      text += ':';
      value.write(text);
    }
    return true;
  }

  void write_response(std::string& text, Http1Message& r, bool graphql) {
    text.reserve(r.held.held() + r.body.size() / 8 + 96);
    bool body_is_text;
    {
      JsonWriter w(text);
      w.literal("{\"status\":");
      w.number(int64_t(r.status));
      w.literal(",\"statusText\":");
      w.string(r.reason());
      body_is_text = write_fields_and_body(w, r);
    }
    int64_t errors = graphql && body_is_text ? graphql_response_errors(r.body) : -1;
    if (errors >= 0) {
      text += ",\"errors\":";
      write_json_number(text, errors);
    }
    text += '}';
  }

  void emit(Exchange&& ex) {
    bool have_request = ex.request && (ex.request_complete || !ex.request->method().empty());
    std::string_view version = have_request ? ex.request->version() : std::string_view();
    if (version.empty() && ex.response) version = ex.response->version();
    // Made with its flow's fields in place (no assignments after).
    Entry e{.protocol = "http",
            .version = std::string(version),
            .layer4 = env_.flow.layer4,
            .src = env_.flow.sender(ex.request_dir),
            .dst = env_.flow.receiver(ex.request_dir),
            .response = {},
            .stream = env_.flow.stream,
            .error = {},
            .context = {}};
    bool gap = ex.uncertain;
    bool truncated = false;
    bool graphql = false;
    if (have_request) {
      Http1Message& r = *ex.request;
      e.timestamp_us = r.first_us;
      e.request_size = r.wire_bytes;
      gap = gap || r.gap;
      truncated = truncated || r.truncated;
      std::string text = take_entry_text();
      graphql = write_request(text, r);
      if (graphql) e.protocol = "graphql";
      text += '}';
      e.request.set_raw(std::move(text));
    }
    if (ex.response) {
      Http1Message& r = *ex.response;
      if (!have_request) e.timestamp_us = r.first_us;
      e.elapsed_ms = double(r.last_us - e.timestamp_us) / 1000.0;
      e.response_size = r.wire_bytes;
      gap = gap || r.gap;
      truncated = truncated || r.truncated;
      std::string text = take_entry_text();
      write_response(text, r, graphql);
      e.response.emplace().set_raw(std::move(text));
    }
    mark_exchange_problem(e, ex, have_request, gap, truncated);
    give_back_http1_message(std::move(ex.request));
    give_back_http1_message(std::move(ex.response));
    env_.sink.emit(std::move(e));
  }

  void mark_exchange_problem(Entry& e, Exchange& ex, bool have_request, bool gap, bool truncated) {
    DissectCounters& c = env_.counters;
    if (gap) {
      mark_problem(e, EntryProblem::kGap, c);
    } else if (truncated) {
      mark_problem(e, EntryProblem::kTruncated, c);
    } else if (!ex.response) {
      mark_problem(e, EntryProblem::kNoResponse, c,
                   ex.evicted ? "evicted (too many in flight)" : "");
    } else if (!have_request) {
      mark_problem(e, EntryProblem::kNoRequest, c,
                   ex.evicted ? "its request was evicted (too many in flight)" : "");
    } else if (!ex.handshake_error.empty()) {
      mark_problem(e, std::move(ex.handshake_error), c);
    }
  }

  DissectorEnv env_;
  Side sides_[2];
  InOrderPairing<Exchange> pairing_;  // requests in order, waiting for their responses
  Direction request_dir_ = Direction::kAtoB;
  bool pairing_uncertain_ = false;
  bool handed_over_ = false;  // after a 101, to the protocol named by Upgrade
};

Probe probe_http1(Bytes first, Direction) {
  std::string_view t = as_text(first.first(std::min<size_t>(first.size(), 32)));
  if (t.substr(0, 7) == "HTTP/1.") return Probe::kYes;
  if (t.substr(0, 8) == "PRI * HT") return Probe::kNo;  // the HTTP/2 preface
  // An upper-case method token, a space, then a request-target.
  size_t i = 0;
  while (i < t.size() && i < 20 && ((t[i] >= 'A' && t[i] <= 'Z') || t[i] == '-' || t[i] == '_'))
    ++i;
  if (i >= 3 && i + 1 < t.size() && t[i] == ' ') {
    char c = t[i + 1];
    if (c == '/' || c == '*' || c == 'h' || (i == 7 && t.substr(0, 7) == "CONNECT"))
      return Probe::kYes;
  }
  return Probe::kNo;
}

std::unique_ptr<StreamDissector> create_http1(const DissectorEnv& env) {
  return std::make_unique<Http1Dissector>(env);
}

}  // namespace

const ProtocolInfo& http1_protocol() {
  static const ProtocolInfo info{
      "http", kOverTcp | kOverSctp, {80, 8080, 8000, 3128}, probe_http1, create_http1};
  return info;
}

}  // namespace trawl
