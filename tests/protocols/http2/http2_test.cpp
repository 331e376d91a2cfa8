#include "protocols/http2/http2.h"

#include <gtest/gtest.h>

#include <map>

#include "protocols/http1/http1.h"
#include "tests/protocols/http2/h2_support.h"
#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;
using namespace h2;

const std::string kPreface(kClientPreface);
const std::string kEmptySettings = h2_frame(h2::kSettings, 0, 0, "");

struct H2Conversation {
  HpackEncoder client, server;
  std::string request(uint32_t stream, const std::string& method, const std::string& path,
                      bool end_stream = true,
                      std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> h{
        {":method", method}, {":scheme", "http"}, {":authority", "api.local"}, {":path", path}};
    for (auto& e : extra) h.push_back(e);
    return h2_frame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), stream,
                    client.encode(h));
  }
  std::string response(uint32_t stream, const std::string& status, bool end_stream,
                       std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> h{{":status", status}};
    for (auto& e : extra) h.push_back(e);
    return h2_frame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), stream,
                    server.encode(h));
  }
};

const Json& headers_of(const Json& side) {
  return *side.find("headers");
}

TEST(Http2, RequestAndResponseWithBodyAndTrailers) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "POST", "/items?id=7&id=8", false) +
      h2_frame(kData, kEndStream, 1, "{\"name\":\"x\"}"));
  std::string head = c.response(1, "201", false, {{"content-type", "application/json"}});
  std::string trailers = c.server.encode({{"x-checksum", "abc"}});
  h.b(kEmptySettings + head + h2_frame(kData, 0, 1, "{\"ok\":") + h2_frame(kData, 0, 1, "true}") +
      h2_frame(kHeaders, kEndHeaders | kEndStream, 1, trailers));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.protocol, "http2");
  EXPECT_EQ(e.version, "2");
  EXPECT_EQ(e.src.ip, "10.0.0.1");
  EXPECT_EQ(str(e.request, "method"), "POST");
  EXPECT_EQ(str(e.request, "url"), "/items?id=7&id=8");
  EXPECT_EQ(str(e.request, "path"), "/items");
  EXPECT_EQ(e.request.find("queryString")->dump(), R"({"id":["7","8"]})");
  EXPECT_EQ(str(e.request, "host"), "api.local");
  EXPECT_EQ(str(e.request, "body"), "{\"name\":\"x\"}");
  EXPECT_EQ(num(e.request, "streamId"), 1);
  ASSERT_TRUE(e.response);
  EXPECT_EQ(num(*e.response, "status"), 201);
  EXPECT_EQ(str(*e.response, "statusText"), "Created");
  EXPECT_EQ(str(headers_of(*e.response), "content-type"), "application/json");
  EXPECT_EQ(str(*e.response, "body"), "{\"ok\":true}");
  EXPECT_EQ(str(*e.response->find("trailers"), "x-checksum"), "abc");
  EXPECT_TRUE(e.error.empty()) << e.error;
  EXPECT_GT(e.request_size, 9u);
}

TEST(Http2, ConcurrentStreamsPairByStreamId) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  // Encoder calls in order: the HPACK state depends on it.
  std::string one = c.request(1, "GET", "/one");
  std::string three = c.request(3, "GET", "/three");
  std::string five = c.request(5, "GET", "/five");
  h.a(kPreface + kEmptySettings + one + three + five);
  std::string r5 = c.response(5, "404", true);
  std::string r1 = c.response(1, "200", false);
  std::string r3 = c.response(3, "500", true);
  h.b(kEmptySettings + r5 + r1 + r3 + h2_frame(kData, kEndStream, 1, "one"));
  ASSERT_EQ(h.sink.entries.size(), 3u);
  std::map<std::string, int64_t> status;
  for (const Entry& e : h.sink.entries) status[str(e.request, "url")] = num(*e.response, "status");
  EXPECT_EQ(status["/one"], 200);
  EXPECT_EQ(status["/three"], 500);
  EXPECT_EQ(status["/five"], 404);
  EXPECT_EQ(str(*h.sink.entries[2].response, "body"), "one");
}

TEST(Http2, ContinuationPaddingPriorityAndOneByteSegments) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  std::string block = c.client.encode({{":method", "GET"},
                                       {":scheme", "http"},
                                       {":path", "/split"},
                                       {":authority", "a"},
                                       {"x-long", std::string(300, 'v')}});
  // HEADERS padded with priority, then two CONTINUATIONs.
  std::string first = std::string(1, char(4)) + std::string("\x80\x00\x00\x00\x10", 5) +
                      block.substr(0, 10) + std::string(4, '\0');
  std::string bytes = kPreface + kEmptySettings +
                      h2_frame(kHeaders, kPadded | kPriorityFlag | kEndStream, 1, first) +
                      h2_frame(kContinuation, 0, 1, block.substr(10, 100)) +
                      h2_frame(kContinuation, kEndHeaders, 1, block.substr(110));
  for (char ch : bytes) h.a(std::string(1, ch));
  std::string padded_data = std::string(1, char(3)) + "body" + std::string(3, '\0');
  h.b(kEmptySettings + c.response(1, "200", false) +
      h2_frame(kData, kPadded | kEndStream, 1, padded_data));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(str(e.request, "url"), "/split");
  EXPECT_EQ(str(headers_of(e.request), "x-long"), std::string(300, 'v'));
  EXPECT_EQ(str(*e.response, "body"), "body");
  EXPECT_TRUE(e.error.empty()) << e.error;
}

const std::string kCancel = h2_frame(kRstStream, 0, 1, std::string("\0\0\0\x08", 4));
const std::string kRefused = h2_frame(kRstStream, 0, 1, std::string("\0\0\0\x07", 4));

// A server's reset ends the stream at once; its late frames do not reopen it.
TEST(Http2, ServerResetEndsTheEntryWithItsCode) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "GET", "/slow"));
  h.b(kEmptySettings + kRefused);
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "stream reset: REFUSED_STREAM");
  EXPECT_FALSE(h.sink.entries[0].response);
  h.b(h2_frame(kData, kEndStream, 1, "late"));
  h.close();
  EXPECT_EQ(h.sink.entries.size(), 1u);
}

// A client cancels while the server's answer is already on its way (browsers and
// DNS-over-HTTPS clients race so): the answer is kept, the entry says reset.
TEST(Http2, AnswerCrossingTheClientsResetIsKept) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "GET", "/raced"), 1000);
  h.a(kCancel, 2000);
  EXPECT_TRUE(h.sink.entries.empty());
  h.b(kEmptySettings + c.response(1, "200", false) + h2_frame(kData, kEndStream, 1, "late"), 3000);
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.error, "stream reset: CANCEL");
  ASSERT_TRUE(e.response);
  EXPECT_EQ(num(*e.response, "status"), 200);
  EXPECT_EQ(str(*e.response, "body"), "late");
}

// With no answer, the cancelled stream goes out once its grace is over (a later
// frame on the connection tells the time) or at the close.
TEST(Http2, UnansweredResetGoesOutAfterItsGrace) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "GET", "/a"), 1000);
  h.a(kCancel, 2000);
  h.a(c.request(3, "GET", "/b"), 900'000);
  EXPECT_TRUE(h.sink.entries.empty());
  h.a(c.request(5, "GET", "/c"), 1'002'001);
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "stream reset: CANCEL");
  EXPECT_FALSE(h.sink.entries[0].response);
  h.close();
  EXPECT_EQ(h.sink.entries.size(), 3u);
}

TEST(Http2, PushPromiseIsARequestOnThePromisedStream) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "GET", "/"));
  std::string promise = std::string("\0\0\0\x02", 4) + c.server.encode({{":method", "GET"},
                                                                        {":scheme", "http"},
                                                                        {":authority", "api.local"},
                                                                        {":path", "/style.css"}});
  std::string r1 = c.response(1, "200", true);
  std::string r2 = c.response(2, "200", false);
  h.b(kEmptySettings + h2_frame(kPushPromise, kEndHeaders, 1, promise) + r1 + r2 +
      h2_frame(kData, kEndStream, 2, "css"));
  ASSERT_EQ(h.sink.entries.size(), 2u);
  const Entry& push = h.sink.entries[1];
  EXPECT_EQ(str(push.request, "url"), "/style.css");
  EXPECT_EQ(push.request.find("pushPromise")->dump(), "true");
  EXPECT_EQ(push.src.ip, "10.0.0.1");  // on the client's behalf
  EXPECT_EQ(str(*push.response, "body"), "css");
}

TEST(Http2, MidStreamPickupNeverGuessesAndRecovers) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  // Before the capture: the client's encoder indexed these fields.
  c.request(1, "GET", "/before", true, {{"x-tenant", "blue"}});
  // Captured: the same fields again are references to entries trawl never saw.
  h.a(c.request(3, "GET", "/before", true, {{"x-tenant", "blue"}}));
  h.b(h2_frame(kHeaders, kEndHeaders | kEndStream, 3, c.server.encode({{":status", "200"}})));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& partial = h.sink.entries[0];
  EXPECT_EQ(str(partial.request, "method"), "GET");   // static table
  EXPECT_EQ(str(partial.request, "url"), "/before");  // nghttp2 never indexes :path
  EXPECT_EQ(str(partial.request, "host"), "");        // an indexed :authority: unknown, not guessed
  EXPECT_EQ(partial.request.find("headers")->find("x-tenant"), nullptr);
  EXPECT_GT(num(partial.request, "unknownHeaders"), 0);
  EXPECT_EQ(partial.error, "headers incomplete: HPACK table from before the capture");
  EXPECT_EQ(num(*partial.response, "status"), 200);
  // New fields that fill the 4 KiB table evict everything from before.
  std::vector<std::pair<std::string, std::string>> big;
  for (int i = 0; i < 5; ++i)
    big.push_back({"x-fill-" + std::to_string(i), std::string(900, 'a' + i)});
  h.a(c.request(5, "GET", "/fill", true, big));
  h.a(c.request(7, "GET", "/after", true, {{"x-fill-4", std::string(900, 'e')}}));
  std::string r5 = c.response(5, "200", true);
  std::string r7 = c.response(7, "204", true);
  h.b(r5 + r7);
  ASSERT_EQ(h.sink.entries.size(), 3u);
  const Entry& after = h.sink.entries[2];
  EXPECT_EQ(str(after.request, "url"), "/after");
  EXPECT_EQ(str(headers_of(after.request), "x-fill-4"), std::string(900, 'e'));
  EXPECT_EQ(str(after.request, "host"), "api.local");
  EXPECT_TRUE(after.error.empty()) << after.error;
}

TEST(Http2, GapResynchronisesAtTheNextFrame) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  h.a(kPreface + kEmptySettings + c.request(1, "GET", "/a", false));
  h.dissector->on_gap(Direction::kAtoB, 500, 1500);
  // After the gap: the tail of a lost frame, then whole frames.
  std::string literal_only = h2_frame(
      kHeaders, kEndHeaders | kEndStream, 3,
      std::string("\x82\x86\x04\x05/next", 9));  // :method GET, :scheme http, :path literal
  h.a(std::string(7, 'z') + literal_only + h2_frame(kPing, 0, 0, std::string(8, '\0')));
  h.b(kEmptySettings + c.response(3, "200", true));
  h.close();
  bool found = false;
  for (const Entry& e : h.sink.entries)
    if (str(e.request, "url") == "/next") {
      found = true;
      EXPECT_EQ(num(*e.response, "status"), 200);
    }
  EXPECT_TRUE(found);
  EXPECT_GE(h.counters.resyncs, 1u);
}

TEST(Http2, GrpcUnaryCallWithStatusAndMessages) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  std::vector<std::pair<std::string, std::string>> grpc{{"content-type", "application/grpc"},
                                                        {"te", "trailers"}};
  // {1: 150, 2: "hi", 3: {1: 1}}
  std::string request_pb = std::string("\x08\x96\x01\x12\x02hi\x1a\x02\x08\x01", 11);
  std::string gz = deflate_compress(std::string("\x0a\x03"
                                                "abc",
                                                5),
                                    31);
  h.a(kPreface + kEmptySettings + c.request(1, "POST", "/shop.Cart/GetCart", false, grpc) +
      h2_frame(kData, kEndStream, 1, grpc_message(request_pb)));
  std::string head = c.response(1, "200", false,
                                {{"content-type", "application/grpc"}, {"grpc-encoding", "gzip"}});
  std::string trailers =
      c.server.encode({{"grpc-status", "5"}, {"grpc-message", "cart%20not found"}});
  h.b(kEmptySettings + head + h2_frame(kData, 0, 1, grpc_message(gz, true)) +
      h2_frame(kHeaders, kEndHeaders | kEndStream, 1, trailers));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.protocol, "grpc");
  EXPECT_EQ(str(e.request, "service"), "shop.Cart");
  EXPECT_EQ(str(e.request, "rpc"), "GetCart");
  EXPECT_EQ(e.request.find("messages")->dump(), R"([{"1":150,"2":"hi","3":{"1":1}}])");
  EXPECT_EQ(num(*e.response, "grpcStatus"), 5);
  EXPECT_EQ(str(*e.response, "grpcMessage"), "cart not found");
  EXPECT_EQ(e.response->find("messages")->dump(), R"([{"1":"abc"}])");
}

TEST(Http2, GzipBodyIsDecodedAndGraphqlIsRecognised) {
  DissectorHarness h(http2_protocol());
  H2Conversation c;
  std::string query =
      R"({"query":"mutation Rename($n: String!) { rename(to: $n) }","variables":{"n":"x"}})";
  std::string request =
      c.request(1, "POST", "/graphql", false, {{"content-type", "application/json"}});
  h.a(kPreface + kEmptySettings + request + h2_frame(kData, kEndStream, 1, query));
  std::string reply = R"({"data":{"rename":true}})";
  std::string gz = deflate_compress(reply, 31);
  std::string head = c.response(1, "200", false, {{"content-encoding", "gzip"}});
  h.b(kEmptySettings + head + h2_frame(kData, 0, 1, gz.substr(0, 10)) +
      h2_frame(kData, kEndStream, 1, gz.substr(10)));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.protocol, "graphql");
  EXPECT_EQ(e.version, "2");
  EXPECT_EQ(str(e.request, "operationType"), "mutation");
  EXPECT_EQ(str(e.request, "operationName"), "Rename");
  EXPECT_EQ(str(*e.response, "body"), reply);
  EXPECT_EQ(num(*e.response, "bodySize"), int64_t(reply.size()));
}

TEST(Http2, ProbeFindsPrefaceAndServerSettingsButNotText) {
  const ProtocolInfo& p = http2_protocol();
  EXPECT_EQ(p.probe(bytes(kPreface), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes(h2_frame(h2::kSettings, 0, 0, std::string(6, '\0'))), Direction::kBtoA),
            Probe::kYes);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Direction::kAtoB), Probe::kNo);
  std::string tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  EXPECT_EQ(p.probe(bytes(tls), Direction::kAtoB), Probe::kNo);
}

TEST(Http2, H2cUpgradeHandsStreamOneToHttp2) {
  DissectorHarness h(http1_protocol());
  HpackEncoder server;
  h.a("GET /up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
  h.b("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
      kEmptySettings + h2_frame(kHeaders, kEndHeaders, 1, server.encode({{":status", "200"}})) +
      h2_frame(kData, kEndStream, 1, "upgraded"));
  h.a(kPreface + kEmptySettings);
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].protocol, "http");
  EXPECT_EQ(num(*h.sink.entries[0].response, "status"), 101);
  const Entry& e = h.sink.entries[1];
  EXPECT_EQ(e.protocol, "http2");
  EXPECT_EQ(str(e.request, "upgrade"), "h2c");
  EXPECT_EQ(e.request.find("method"), nullptr);  // the request was HTTP/1.1
  EXPECT_EQ(str(*e.response, "body"), "upgraded");
}

TEST(Http2, GarbageNeverCrashesAndIsCounted) {
  DissectorHarness h(http2_protocol());
  h.a(kPreface + h2_frame(kHeaders, kEndHeaders, 1, "\xff\xff\xff\xff\xff"));
  h.a(h2_frame(kRstStream, 0, 1, "x"));
  h.close();
  EXPECT_GE(h.counters.malformed, 1u);
}

}  // namespace
}  // namespace trawl
