#include "query/kfl.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <random>

#include "entries/json_parse.h"

namespace trawl::kfl {
namespace {

Entry http_entry() {
  Entry e;
  e.id = 42;
  e.protocol = "http";
  e.version = "1.1";
  e.layer4 = "tcp";
  e.src = {"10.0.0.1", 40000};
  e.dst = {"10.0.0.2", 8080};
  e.timestamp_us = 1795737600123456;  // 2026-11-27T00:00:00.123456Z
  e.elapsed_ms = 312.5;
  e.request.set("method", "POST");
  e.request.set("url", "/api/v1/orders?x=1");
  e.request.set("path", "/api/v1/orders");
  Json headers = Json::object();
  headers.set("content-type", "application/json");
  headers.set("authorization", "Bearer s3cret");
  e.request.set("headers", std::move(headers));
  e.request.set("body", R"({"user":"ada","password":"hunter2","items":[{"id":7},{"id":9}]})");
  Json& r = e.response.emplace(Json::object());
  r.set("status", 503);
  r.set("statusText", "Service Unavailable");
  r.set("body", R"({"error":"overloaded","retry":1.5})");
  e.request_size = 420;
  e.response_size = 96;
  e.stream = "17";
  return e;
}

Entry dns_entry() {
  Entry e;
  e.id = 43;
  e.protocol = "dns";
  e.layer4 = "udp";
  e.src = {"10.0.0.3", 5353};
  e.dst = {"10.0.0.53", 53};
  Json q = Json::object();
  q.set("name", "example.com");
  q.set("type", "A");
  Json qs = Json::array();
  qs.push(std::move(q));
  e.request.set("questions", std::move(qs));
  e.response.emplace(Json::object()).set("rcodeName", "NXDOMAIN");
  e.error = "no response";
  return e;
}

Query compile(std::string_view text, const Macros& macros = {}) {
  CompileError error;
  auto q = Query::compile(text, error, macros);
  EXPECT_TRUE(q.has_value()) << text << ": " << error.text();
  if (!q) return *Query::compile("false", error);
  return std::move(*q);
}

bool match(std::string_view text, const Entry& e, const Macros& macros = {}) {
  return compile(text, macros).matches(e);
}

std::string error_of(std::string_view text, const Macros& macros = {}) {
  CompileError error;
  auto q = Query::compile(text, error, macros);
  return q ? "compiled" : error.text();
}

TEST(Kfl, EmptyMatchesEverything) {
  EXPECT_TRUE(compile("").matches_everything());
  EXPECT_TRUE(match("   // only a comment", http_entry()));
}

TEST(Kfl, ProtocolMacrosAndAliases) {
  Entry h = http_entry(), d = dns_entry();
  EXPECT_TRUE(match("http", h));
  EXPECT_FALSE(match("http", d));
  EXPECT_TRUE(match("dns", d));
  Entry g = h;
  g.protocol = "graphql";
  EXPECT_TRUE(match("gql", g));
  EXPECT_TRUE(match("graphql", g));
  Entry w = h;
  w.protocol = "websocket";
  EXPECT_TRUE(match("ws and websocket", w));
  for (const char* p :
       {"http2", "grpc", "amqp", "kafka", "redis", "ldap", "icmp", "tls", "tcp", "udp", "sctp"}) {
    Entry x = h;
    x.protocol = p;
    EXPECT_TRUE(match(p, x)) << p;
    EXPECT_FALSE(match(p, h)) << p;
  }
}

TEST(Kfl, UserMacros) {
  Macros m = {{"https", "tls and (http or http2)"},
              {"slow", "elapsedTime > 250"},
              {"bad_slow", "slow and response.status >= 500"},
              {"loop", "loop or http"},
              {"broken", "response.status =="}};
  Entry h = http_entry();
  EXPECT_TRUE(match("bad_slow", h, m));
  EXPECT_FALSE(match("https", h, m));
  EXPECT_EQ(error_of("loop", m), "1:1: macro 'loop' expands into itself");
  EXPECT_EQ(error_of("http and broken", m),
            "1:10: in macro 'broken': 1:19: expected a value after '=='");
}

// Several threads number entries only once they are merged: a query reading
// `id` (directly, through a macro or in redact) must say so.
TEST(Kfl, KnowsWhetherItReadsTheId) {
  EXPECT_TRUE(compile("id == \"3\"").reads_id());
  EXPECT_TRUE(compile("http and (dns or id > \"10\")").reads_id());
  EXPECT_TRUE(compile("first", {{"first", "id == \"1\""}}).reads_id());
  EXPECT_FALSE(compile("http and response.status >= 500").reads_id());
  EXPECT_FALSE(compile("request.id == 3 and stream == \"1\"").reads_id());
  EXPECT_FALSE(compile("").reads_id());
}

TEST(Kfl, Comparisons) {
  Entry h = http_entry();
  EXPECT_TRUE(match("http and response.status >= 500", h));
  EXPECT_TRUE(match("response.status == 503", h));
  EXPECT_TRUE(match("response.status != 200", h));
  EXPECT_TRUE(match("response.status > 502 && response.status < 504", h));
  EXPECT_TRUE(match("response.status <= 503.0", h));  // numbers compare numerically
  EXPECT_FALSE(match("response.status < 503", h));
  EXPECT_TRUE(match("request.method == \"POST\"", h));
  EXPECT_TRUE(match("request.method > \"GET\"", h));     // strings lexically
  EXPECT_TRUE(match("request.method == 'POST'", h));     // CEL quotes
  EXPECT_FALSE(match("response.status == \"503\"", h));  // no coercion between types
  EXPECT_TRUE(match("elapsedTime > 250", h));
  EXPECT_TRUE(match("requestSize == 420 and responseSize == 96", h));
  EXPECT_TRUE(match("request.path.startsWith(\"/api/v1\") and elapsedTime > 250", h));
}

TEST(Kfl, MissingPathsAreFalseEvenForNotEqual) {
  Entry h = http_entry();
  EXPECT_FALSE(match("request.nothing == 1", h));
  EXPECT_FALSE(match("request.nothing != 1", h));
  EXPECT_FALSE(match("src.namespace == \"payments\"", h));
  EXPECT_FALSE(match("src.namespace != \"payments\"", h));
  EXPECT_FALSE(match("nosuchfield == 1", h));
  EXPECT_TRUE(match("not request.nothing", h));
  EXPECT_FALSE(match("error", h));  // absent when there is none
  EXPECT_TRUE(match("error == \"no response\"", dns_entry()));
  Entry no_response = h;
  no_response.response.reset();
  EXPECT_TRUE(match("http and not response", no_response));
  EXPECT_FALSE(match("response.status != 200", no_response));
}

TEST(Kfl, EntryFields) {
  Entry h = http_entry();
  EXPECT_TRUE(match("id == \"42\"", h));
  EXPECT_TRUE(match("protocol.name == \"http\" and protocol.abbr == \"HTTP\"", h));
  EXPECT_TRUE(match("protocol.version == \"1.1\" and protocol.layer4 == \"tcp\"", h));
  EXPECT_TRUE(match("src.ip == \"10.0.0.1\" and src.port == 40000", h));
  EXPECT_TRUE(match("dst.port in [80, 8080]", h));
  EXPECT_TRUE(match("src.*  == \"10.0.0.1\"", h));  // the endpoint object
  EXPECT_TRUE(match("protocol.size() == 4", h));
  EXPECT_TRUE(match("timestamp == 1795737600123", h));
  EXPECT_TRUE(match("timestampUs == 1795737600123456", h));
  EXPECT_TRUE(match("stream == \"17\" and tls == false", h));
  EXPECT_TRUE(match("src.ip != dst.ip", h));  // selectors on both sides
}

// entry.md's context fields, as Kubeshark's queries name them.
TEST(Kfl, ContextFields) {
  Entry h = http_entry();
  EXPECT_FALSE(match("src.namespace == \"default\"", h));
  EXPECT_FALSE(match("src.namespace != \"default\"", h));  // absent, not empty
  EXPECT_FALSE(match("has(node.name) or has(node) or has(src.name)", h));
  h.context.set(ContextField::kSrcNamespace, Json("default"));
  h.context.set(ContextField::kDstName, Json("front-end"));
  h.context.set(ContextField::kNodeName, Json("node-1"));
  h.context.set(ContextField::kSrcPid, Json(4242));
  Json workload = Json::object();
  workload.set("kind", "Deployment");
  workload.set("name", "orders");
  h.context.set(ContextField::kSrcWorkload, std::move(workload));
  Json labels = Json::object();
  labels.set("app.kubernetes.io/name", "orders");
  h.context.set(ContextField::kSrcLabels, std::move(labels));
  Json services = Json::array();
  services.push("orders");
  services.push("orders-canary");
  h.context.set(ContextField::kDstServices, std::move(services));
  EXPECT_TRUE(match("http and response.status == 503 and src.namespace == \"default\"", h));
  EXPECT_TRUE(match("dst.name == \"front-end\" and node.name == \"node-1\"", h));
  EXPECT_TRUE(match("src.pid > 4000 and src.workload.kind == \"Deployment\"", h));
  EXPECT_TRUE(match("src.labels[\"app.kubernetes.io/name\"] == \"orders\"", h));
  EXPECT_TRUE(match("dst.services[1] == \"orders-canary\" and dst.services.size() == 2", h));
  EXPECT_TRUE(match("has(node) and node.size() == 1 and src.size() == 6", h));
  EXPECT_FALSE(match("has(cluster.name) or has(trace)", h));
  EXPECT_TRUE(match("src.* == \"default\"", h));
}

TEST(Kfl, HeadersAreCaseInsensitive) {
  Entry h = http_entry();
  EXPECT_TRUE(match("request.headers[\"Content-Type\"] == \"application/json\"", h));
  EXPECT_TRUE(match("request.headers.Authorization.startsWith(\"Bearer \")", h));
  EXPECT_FALSE(match("request.Headers[\"content-type\"] == \"application/json\"", h));
}

TEST(Kfl, IndexesAndAnyElement) {
  Entry d = dns_entry();
  EXPECT_TRUE(match("request.questions[0].name == \"example.com\"", d));
  EXPECT_TRUE(match("request.questions.*.name == \"example.com\"", d));
  EXPECT_TRUE(match("request.questions[*].type == \"A\"", d));
  EXPECT_FALSE(match("request.questions[1].name == \"example.com\"", d));
  EXPECT_TRUE(match("dns and response.rcodeName == \"NXDOMAIN\"", d));
  Entry k;
  k.protocol = "kafka";
  Json topics = Json::array();
  topics.push("payments");
  topics.push("orders");
  k.request.set("topics", std::move(topics));
  EXPECT_TRUE(match("kafka and request.topics.* == \"orders\"", k));
  EXPECT_TRUE(match("request.topics.* != \"orders\"", k));  // payments is not orders
  EXPECT_FALSE(match("request.topics.* == \"audit\"", k));
  EXPECT_TRUE(match("request.topics.size() == 2", k));
}

TEST(Kfl, Membership) {
  Entry r;
  r.protocol = "redis";
  r.request.set("command", "FLUSHALL");
  EXPECT_TRUE(match("redis and request.command in [\"DEL\", \"FLUSHALL\", \"FLUSHDB\"]", r));
  EXPECT_FALSE(match("request.command in [\"GET\"]", r));
  EXPECT_TRUE(match("response.status in [500, 502, 503]", http_entry()));
  EXPECT_FALSE(match("request.nothing in [1, 2]", r));
}

TEST(Kfl, RegularExpressions) {
  Entry h = http_entry();
  EXPECT_TRUE(match(R"(response.status == r"^5\d\d$")", h));  // numbers match as text
  EXPECT_FALSE(match(R"(response.status == r"^4\d\d$")", h));
  EXPECT_TRUE(match(R"(response.status != r"^4\d\d$")", h));
  EXPECT_TRUE(match(R"(request.url == r"orders\?x=\d")", h));  // a search, not a full match
  EXPECT_TRUE(match(R"(request.path.matches("^/api/v[0-9]+/"))", h));
  EXPECT_FALSE(match(R"(request.nothing != r"x")", h));
  EXPECT_EQ(error_of(R"(request.path == r"(unclosed")"),
            "1:17: invalid regular expression: missing ): (unclosed");
  EXPECT_EQ(error_of(R"(request.path > r"x")"),
            "1:16: a regular expression can only follow '==' or '!='");
}

TEST(Kfl, StringMethodsAndSize) {
  Entry h = http_entry();
  EXPECT_TRUE(match("request.path.endsWith(\"/orders\")", h));
  EXPECT_TRUE(match("request.body.contains(\"hunter2\")", h));
  EXPECT_FALSE(match("request.body.contains(\"hunter3\")", h));
  EXPECT_TRUE(match("request.method.size() == 4", h));
  EXPECT_TRUE(match("size(request.headers) == 2", h));  // CEL's form
  EXPECT_TRUE(match("request.headers.size() == 2 and has(request.headers.authorization)", h));
  EXPECT_FALSE(match("has(request.headers.cookie)", h));
  EXPECT_TRUE(match("response.status.startsWith(\"5\")", h));
}

TEST(Kfl, JsonBodies) {
  Entry h = http_entry();
  EXPECT_TRUE(match("request.body.json().items[0].id == 7", h));
  EXPECT_TRUE(match("request.body.json().items.*.id == 9", h));
  EXPECT_TRUE(match("request.body.json().user == \"ada\"", h));
  EXPECT_TRUE(match("response.body.json().retry > 1", h));
  EXPECT_TRUE(match("request.body.json().items.size() == 2", h));
  EXPECT_FALSE(match("request.method.json().x == 1", h));  // not JSON: missing
}

TEST(Kfl, BooleanLogicAndPrecedence) {
  Entry h = http_entry(), d = dns_entry();
  EXPECT_TRUE(match("dns or http and response.status == 503", h));
  EXPECT_TRUE(match("dns or http and response.status == 200", d));  // and binds tighter
  EXPECT_FALSE(match("(dns or http) and response.status == 200", d));
  EXPECT_TRUE(match("not dns and !udp", h));
  EXPECT_TRUE(match("!(dns || udp) && http", h));
  EXPECT_TRUE(match("true and not false", h));
  EXPECT_TRUE(match("http\n  and response.status >= 500  // server errors\n", h));
}

TEST(Kfl, NilAndNegativeNumbers) {
  Entry e = http_entry();
  e.request.set("parent", Json());
  e.request.set("delta", -5);
  EXPECT_TRUE(match("request.parent == nil", e));
  EXPECT_TRUE(match("request.parent == null", e));
  EXPECT_FALSE(match("request.method == nil", e));
  EXPECT_TRUE(match("request.delta == -5", e));
  EXPECT_TRUE(match("request.delta < -4.5", e));
  EXPECT_TRUE(match("-request.delta == 5", e));
}

TEST(Kfl, TimeFunctions) {
  using namespace std::chrono;
  Entry h = http_entry();
  int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  h.timestamp_us = (now - 2 * 60 * 1000) * 1000;  // two minutes ago
  EXPECT_TRUE(match("timestamp >= now() - minutes(5)", h));
  EXPECT_FALSE(match("timestamp >= now() - minutes(1)", h));
  EXPECT_TRUE(match("timestamp >= now()-seconds(150) and timestamp < now()", h));
  EXPECT_TRUE(match("timestamp > now() - hours(1) and timestamp > now() - days(1)", h));
  Entry fixed = http_entry();  // 2026-11-27T00:00:00.123Z
  EXPECT_TRUE(match("timestamp >= datetime(\"2026-11-27T00:00:00Z\")", fixed));
  EXPECT_TRUE(match("timestamp < datetime(\"2026-11-27T00:00:00.124Z\")", fixed));
  EXPECT_TRUE(match("timestamp == datetime(\"2026-11-27T01:00:00.123+01:00\")", fixed));
  EXPECT_TRUE(match("timestamp < datetime(\"11/27/2026, 8:00:00 AM\")", fixed));
  EXPECT_TRUE(match("timestamp > datetime(\"11/26/2026, 11:59:59 PM\")", fixed));
  EXPECT_EQ(parse_datetime("2026-11-27T08:00:00Z"), 1795737600000 + 8 * 3600000);
  EXPECT_EQ(parse_datetime("11/27/2026, 12:00:00 AM"), 1795737600000);
  EXPECT_EQ(parse_datetime("11/27/2026, 12:30:00 PM"), 1795737600000 + 12 * 3600000 + 1800000);
  EXPECT_EQ(parse_datetime("1970-01-01T00:00:00.5Z"), 500);
  EXPECT_EQ(parse_datetime("2026-02-29T00:00:00Z"), std::nullopt);  // not a leap year
  EXPECT_EQ(parse_datetime("yesterday"), std::nullopt);
  EXPECT_EQ(error_of("timestamp > datetime(\"yesterday\")"),
            "1:22: not a time: \"yesterday\" (use 2026-11-27T08:00:00Z)");
}

TEST(Kfl, Limit) {
  EXPECT_EQ(compile("http and limit(10)").limit(), 10u);
  EXPECT_EQ(compile("http").limit(), std::nullopt);
  EXPECT_TRUE(match("limit(1)", http_entry()));
  EXPECT_EQ(error_of("limit(\"x\")"), "1:7: expected a whole number in limit()");
  EXPECT_EQ(error_of("limit(1) and limit(2)"), "1:14: limit() given twice");
}

TEST(Kfl, Redact) {
  Query q = compile(
      "http and redact(\"request.headers.Authorization\", \"request.body.json().password\", "
      "\"response.body.json().*\")");
  Entry h = http_entry();
  ASSERT_TRUE(q.matches(h));
  ASSERT_TRUE(q.redacts());
  q.redact(h);
  EXPECT_EQ(h.request.find("headers")->find("authorization")->str(), "[REDACTED]");
  EXPECT_EQ(h.request.find("headers")->find("content-type")->str(), "application/json");
  EXPECT_EQ(h.request.find("body")->str(),
            R"({"user":"ada","password":"[REDACTED]","items":[{"id":7},{"id":9}]})");
  EXPECT_EQ(h.response->find("body")->str(), R"({"error":"[REDACTED]","retry":"[REDACTED]"})");
  EXPECT_FALSE(compile("http").redacts());
  EXPECT_EQ(error_of("redact(\"src.ip\")"),
            "1:8: redact() takes selectors under request or response");
  EXPECT_EQ(error_of("redact(\"request.\")"),
            "1:8: in redact(\"request.\"): expected a field name after '.'");
}

TEST(Kfl, ErrorPositions) {
  EXPECT_EQ(error_of("http and status =="), "1:19: expected a value after '=='");
  EXPECT_EQ(error_of("response.status == "), "1:20: expected a value after '=='");
  EXPECT_EQ(error_of("http and"), "1:9: expected an expression after 'and'");
  EXPECT_EQ(error_of("http or (dns"),
            "1:13: expected ')' to close '(', found the end of the query");
  EXPECT_EQ(error_of("http dns"), "1:6: expected 'and', 'or' or the end of the query, found 'dns'");
  EXPECT_EQ(error_of("request.method = \"GET\""), "1:16: '=' is not an operator: use '=='");
  EXPECT_EQ(error_of("http and\n  request.path == \"/x"), "2:19: unterminated string");
  EXPECT_EQ(error_of("request.x in [1, 2"), "1:19: expected ',' or ']' in the list");
  EXPECT_EQ(error_of("request.x in 1"), "1:14: expected '[' after 'in'");
  EXPECT_EQ(error_of("request.path.shout()"), "1:14: unknown method .shout()");
  EXPECT_EQ(error_of("frobnicate(1) == 2"), "1:1: unknown function frobnicate()");
  EXPECT_EQ(error_of("request.path.startsWith(1)"),
            "1:25: expected a quoted string in .startsWith()");
  EXPECT_EQ(error_of("5"), "1:1: expected a comparison after 5");
  EXPECT_EQ(error_of("request.x == #"), "1:14: unexpected character '#'");
  EXPECT_EQ(error_of("request[\"a\""),
            "1:12: expected ']' to close '[', found the end of the query");
  EXPECT_EQ(error_of("request.x == 99999999999999999999"), "1:14: number out of range");
  EXPECT_EQ(error_of("\"caf\xc3\xa9\" == x y"),
            "1:13: expected 'and', 'or' or the end of the query, found 'y'");
  EXPECT_EQ(error_of("request.a.startsWith(\"x\") == 1"),
            "1:27: expected 'and', 'or' or the end of the query, found '=='");
}

TEST(Kfl, DeepAndLongQueriesAreBounded) {
  std::string deep = "http and " + std::string(65, '(') + "true" + std::string(65, ')');
  EXPECT_EQ(error_of(deep), "1:74: nested more than 64 levels deep");
  EXPECT_EQ(error_of(std::string(70, '!') + "http"), "1:65: nested more than 64 levels deep");
  EXPECT_EQ(error_of("request.x == " + std::string(70, '-') + "1"),
            "1:78: nested more than 64 levels deep");
  // A long generated chain is flat: as many terms as the size bound allows
  // (about 2,500) compile and evaluate.
  std::string chain = "response.status == 1";
  for (int i = 2; chain.size() < kfl::kMaxQueryBytes - 40; ++i)
    chain += " or response.status == " + std::to_string(i);
  EXPECT_TRUE(match(chain, http_entry()));
  EXPECT_FALSE(match("(" + chain + ") and false", http_entry()));
  // Beyond the bound, the text is refused before it is parsed.
  EXPECT_EQ(error_of(chain + " or request.path == \"" + std::string(100, 'x') + "\""),
            "1:1: the query is longer than 65536 bytes");
}

// What a query compiles to is bounded: the number of regular expressions and
// the memory of each. A pattern whose program would be huge is an error, not
// minutes of matching.
TEST(Kfl, RegularExpressionsAreBoundedInNumberAndSize) {
  std::string huge;
  for (int i = 0; i < 8; ++i) huge += "(.{1000}|x)";
  EXPECT_EQ(error_of("request.path == r\"" + huge + "\""),
            "1:17: regular expression too large (its program would need more than 256 KiB)");
  std::string many = "http";
  for (int i = 0; i < 17; ++i) many += " and request.path == r\"a" + std::to_string(i) + "\"";
  EXPECT_NE(error_of(many).find("more than 16 regular expressions"), std::string::npos);
  EXPECT_EQ(error_of("request.path == r\"^/api/v[0-9]+/(users|orders)/[^/]+$\""), "compiled");
}

TEST(Kfl, ExamplesFromTheSpec) {
  const char* examples[] = {
      "http and response.status >= 500",
      "dns and response.rcodeName == \"NXDOMAIN\"",
      "src.namespace == \"payments\" and dst.namespace != \"payments\"",
      "kafka and request.topics.* == \"orders\"",
      "request.path.startsWith(\"/api/v1\") and elapsedTime > 250",
      "redis and request.command in [\"DEL\", \"FLUSHALL\", \"FLUSHDB\"]",
      "dst.namespace == \"\"            // traffic leaving the cluster",
      "timestamp >= now() - minutes(10) and grpc and response.grpcStatus != 0",
  };
  for (const char* e : examples) EXPECT_EQ(error_of(e), "compiled") << e;
}

// Stored entries keep request and response as JSON text: every query must
// answer the same on the text as on the parsed tree.
TEST(Kfl, JsonTextAndParsedTreesAnswerAlike) {
  Entry raw;
  raw.protocol = "http";
  raw.request =
      Json::raw(R"({"method":"GET","headers":{"a/b":"x","t~":"y"},"list":[1,{"k":"v"},"s"],)"
                R"("big":18446744073709551615,"d":1.5,"n":null,"b":true,"body":"{\"in\":[7]}"})");
  raw.response = Json::raw(R"({"status":503})");
  Entry tree = raw;
  expand_raw(tree);
  for (std::string_view q : {R"(request.method == "GET")",
                             R"(request.headers["a/b"] == "x")",
                             R"(request.headers["t~"] == "y")",
                             "request.list[0] == 1",
                             R"(request.list[1].k == "v")",
                             R"(request.list.* == "s")",
                             "request.list[7] == 1",
                             R"(request.big == "18446744073709551615")",
                             "request.d > 1.4",
                             "request.n == null",
                             "request.b",
                             "request.missing.deeper == 1",
                             "size(request.list) == 3",
                             "size(request.method) == 3",
                             "request.body.json().in[0] == 7",
                             "response.status >= 500",
                             "has(request.headers)",
                             R"(request.method.startsWith("G"))",
                             "request.list[1] == 1",
                             "request.list.*.k == \"v\""}) {
    CompileError error;
    auto query = Query::compile(q, error);
    ASSERT_TRUE(query) << q << ": " << error.text();
    EXPECT_EQ(query->matches(raw), query->matches(tree)) << q;
    EXPECT_TRUE(query->matches(tree) || q == "request.list[7] == 1" ||
                q == "request.missing.deeper == 1" || q == "request.list[1] == 1")
        << q;
  }
}

// Top-level members are found in JSON text by a shallow scan, without simdjson,
// when nothing is unusual: random objects (escaped keys and strings, every
// kind of number, nested values) must answer as their parsed trees do.
TEST(Kfl, ShallowMemberScanAnswersAsTheParsedTree) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  const std::vector<std::string> pieces = {"a",   "status", "k\"q", "b\\s", "\xc3\xa9",
                                           "x y", "{",      "}",    ",",    ":"};
  auto text = [&] {
    std::string t;
    for (int i = pick(4); i >= 0; --i) t += pieces[size_t(pick(int(pieces.size())))];
    return t;
  };
  std::function<Json(int)> value = [&](int depth) -> Json {
    switch (pick(depth > 1 ? 7 : 9)) {
      case 0:
        return Json(text());
      case 1:
        return Json(int64_t(pick(1000)) - 500);
      case 2:
        return Json(int64_t(uint64_t(rng()) * uint64_t(rng())));
      case 3:
        return Json(double(pick(100000)) / 7.0);
      case 4:
        return Json(pick(2) == 0);
      case 5:
        return Json();
      case 6:
        return Json(int64_t(0));
      case 7: {
        Json o = Json::object();
        for (int i = pick(3); i > 0; --i) o.set(text(), value(depth + 1));
        return o;
      }
      default: {
        Json a = Json::array();
        for (int i = pick(3); i > 0; --i) a.push(value(depth + 1));
        return a;
      }
    }
  };
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    Json object = Json::object();
    for (int i = pick(5); i > 0; --i) object.set(text(), value(0));
    std::string written;
    object.write(written);
    Entry raw;
    raw.protocol = "http";
    raw.request = Json::raw(written);
    Entry tree = raw;
    expand_raw(tree);
    std::vector<std::string> keys = {"missing"};
    for (const auto& [k, v] : tree.request.fields()) keys.push_back(k);
    for (const std::string& key : keys) {
      std::string sel;
      write_json_string(sel, key);
      sel = "request[" + sel + "]";
      const Json* v = tree.request.find(key);
      std::string literal = "nil";
      if (v && (v->is_string() || v->is_int() || v->is_bool())) {
        literal.clear();
        v->write(literal);
      }
      for (const std::string& q :
           {sel + " == " + literal, sel + " != " + literal, "has(" + sel + ")", sel + " > 3",
            sel + ".size() > 1", sel + ".contains(\"s\")"}) {
        CompileError error;
        auto query = Query::compile(q, error);
        ASSERT_TRUE(query) << q << ": " << error.text();
        EXPECT_EQ(query->matches(raw), query->matches(tree)) << q << " on " << written;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 3000);
  // Not compact (spaces): left to simdjson, same answer.
  Entry spaced;
  spaced.protocol = "http";
  spaced.request = Json::raw(R"({ "status" : 200 , "s" : "a\"b" })");
  EXPECT_TRUE(match("request.status == 200", spaced));
  EXPECT_TRUE(match(R"(request.s == "a\"b")", spaced));
}

TEST(Kfl, BoundsNameWhatAStoreIndexCanSkip) {
  auto bounds = [](std::string_view q) {
    CompileError error;
    auto query = Query::compile(q, error);
    EXPECT_TRUE(query) << q;
    return query->bounds();
  };
  EXPECT_FALSE(bounds("response.status == 500").protocols);
  EXPECT_EQ(*bounds("http and response.status == 500").protocols, std::vector<std::string>{"http"});
  EXPECT_EQ(bounds("http or redis").protocols->size(), 2u);
  EXPECT_FALSE(bounds("http or response.status == 500").protocols);
  EXPECT_TRUE(bounds("http and redis").protocols->empty());
  QueryBounds t = bounds("timestamp >= 1000 and timestamp < 2000");
  EXPECT_EQ(t.min_us, 1000000);
  EXPECT_EQ(t.max_us, 1999999);
  EXPECT_EQ(bounds("3000 > timestamp").max_us, 2999999);
  EXPECT_EQ(bounds("timestamp > datetime(\"2026-01-01T00:00:00Z\")").min_us,
            int64_t(1767225600000) * 1000 + 1000);
  EXPECT_EQ(bounds("not timestamp > 5").min_us, INT64_MIN);
}

}  // namespace
}  // namespace trawl::kfl
