#include "protocols/http1/http1.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::DissectorHarness;
using testing::num;
using testing::str;

std::string brotli(const std::string& in) {
  size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, in.size(),
                        reinterpret_cast<const uint8_t*>(in.data()), &size,
                        reinterpret_cast<uint8_t*>(out.data()));
  out.resize(size);
  return out;
}

struct Http1Test : ::testing::Test {
  DissectorHarness h{http1_protocol()};
  const std::vector<Entry>& entries() { return h.sink.entries; }
};

TEST_F(Http1Test, ProbeIsByContent) {
  auto probe = http1_protocol().probe;
  EXPECT_EQ(probe(testing::bytes("GET /x HTTP/1.1\r\n"), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(probe(testing::bytes("HTTP/1.1 200 OK\r\n"), Direction::kBtoA), Probe::kYes);
  EXPECT_EQ(probe(testing::bytes("PROPFIND /dav HTTP/1.1"), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(probe(testing::bytes("PRI * HTTP/2.0\r\n"), Direction::kAtoB), Probe::kNo);
  EXPECT_EQ(probe(testing::bytes("\x16\x03\x01\x02\x00\x01"), Direction::kAtoB), Probe::kNo);
  EXPECT_EQ(probe(testing::bytes("get / http/1.1"), Direction::kAtoB), Probe::kNo);
}

TEST_F(Http1Test, RequestAndResponseWithFields) {
  h.a("GET /api/x?a=1&b=two%20words&a=3 HTTP/1.1\r\nHost: svc\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n",
      100);
  h.b("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
      600);
  ASSERT_EQ(entries().size(), 1u);
  const Entry& e = entries()[0];
  EXPECT_EQ(e.protocol, "http");
  EXPECT_EQ(e.version, "1.1");
  EXPECT_EQ(str(e.request, "method"), "GET");
  EXPECT_EQ(str(e.request, "url"), "/api/x?a=1&b=two%20words&a=3");
  EXPECT_EQ(str(e.request, "path"), "/api/x");
  EXPECT_EQ(e.request.find("queryString")->dump(), R"({"a":["1","3"],"b":"two words"})");
  EXPECT_EQ(str(e.request, "host"), "svc");
  EXPECT_EQ(str(*e.request.find("headers"), "x-dup"), "1, 2");
  EXPECT_EQ(num(*e.response, "status"), 200);
  EXPECT_EQ(str(*e.response, "statusText"), "OK");
  EXPECT_EQ(str(*e.response, "body"), "{\"a\":1}");
  EXPECT_EQ(num(*e.response, "bodySize"), 7);
  EXPECT_DOUBLE_EQ(e.elapsed_ms, 0.5);
  EXPECT_EQ(e.src.ip, "10.0.0.1");
  EXPECT_EQ(e.error, "");
}

// The head's fields as entry.md writes them: names lower-cased, a repeated
// name's values joined where it first appeared, folded lines joined with a
// space, values that need escaping escaped, and the fields framing depends on
// found whatever their case.
TEST_F(Http1Test, HeadFieldsWhateverTheirCaseFoldingAndEscapes) {
  h.a("POST /f HTTP/1.1\r\nHOST:  svc \r\nX-Long: one\r\n  two\r\nAccept: a\r\n"
      "x-LONG: three\r\nIf-Match: \"e\\1\"\r\nX-Latin: caf\xe9\r\nX-Empty:\r\n"
      "Transfer-ENCODING: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n",
      100);
  h.b("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\n\r\nok", 200);
  ASSERT_EQ(entries().size(), 1u);
  const Entry& e = entries()[0];
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(str(e.request, "host"), "svc");
  EXPECT_EQ(e.request.find("headers")->dump(),
            "{\"host\":\"svc\",\"x-long\":\"one two, three\",\"accept\":\"a\","
            "\"if-match\":\"\\\"e\\\\1\\\"\",\"x-latin\":\"caf\u00e9\",\"x-empty\":\"\","
            "\"transfer-encoding\":\"chunked\"}");
  EXPECT_EQ(str(e.request, "body"), "abc");
  EXPECT_EQ(e.request.find("trailers")->dump(), R"({"x-sum":"9"})");
  EXPECT_EQ(str(*e.response, "body"), "ok");
}

// Heads are written to JSON as they are parsed; each unusual line, wherever
// it is, hands the rest to the careful parser with the same result.
TEST_F(Http1Test, HeadFieldsAreTheSameWhereverAnUnusualLineIs) {
  const std::string plain = "A: 1\r\nEtag: \"x\"\r\nHost: svc\r\n";
  const std::string expected = R"({"a":"1","etag":"\"x\"","host":"svc")";
  struct Case {
    std::string line, json;
  } cases[] = {
      {"N\xe9: v\r\n", "\"n\xc3\xa9\":\"v\""},  // a name to escape (Latin-1 made UTF-8)
      {"Sp : v\r\n", R"("sp":"v")"},            // a blank before the colon
      {"no colon\r\n", ""},                     // skipped
      {":\r\n", R"("":"")"},                    // an empty name
      {"Q: a\tb\\\r\n", R"("q":"a\tb\\")"},     // a value to escape
  };
  for (const Case& c : cases) {
    for (int where = 0; where < 2; ++where) {
      std::string head = where ? c.line + plain : plain + c.line;
      std::string json = c.json.empty() ? expected
                         : where        ? "{" + c.json + "," + expected.substr(1)
                                        : expected + "," + c.json;
      json += "}";
      DissectorHarness one{http1_protocol()};
      one.a("GET / HTTP/1.1\r\n" + head + "\r\n", 100);
      one.b("HTTP/1.1 204 No Content\r\n\r\n", 200);
      ASSERT_EQ(one.sink.entries.size(), 1u) << c.line;
      EXPECT_EQ(one.sink.entries[0].request.find("headers")->dump(), json) << c.line << where;
      EXPECT_EQ(str(one.sink.entries[0].request, "host"), "svc") << c.line << where;
    }
  }
  // Lines so short ("c:" LF) that their JSON outgrows the room made for it.
  std::string many, joined;
  for (int i = 0; i < 300; ++i) many += std::string(1, char('a' + i % 10)) + ":\n";
  for (int i = 1; i < 30; ++i) joined += ", ";
  DissectorHarness one{http1_protocol()};
  one.a("GET / HTTP/1.1\nHost: h\n" + many + "\n", 100);
  one.b("HTTP/1.1 204 No Content\r\n\r\n", 200);
  ASSERT_EQ(one.sink.entries.size(), 1u);
  EXPECT_EQ(str(*one.sink.entries[0].request.find("headers"), "c"), joined);
  EXPECT_EQ(str(one.sink.entries[0].request, "host"), "h");
}

TEST_F(Http1Test, PipelinedRequestsPairInOrder) {
  h.a("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nHEAD /3 HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 Not Found\r\nContent-Length: "
      "0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n");  // HEAD: no body despite the length
  h.a("GET /4 HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
  ASSERT_EQ(entries().size(), 4u);
  EXPECT_EQ(str(entries()[0].request, "url"), "/1");
  EXPECT_EQ(str(*entries()[0].response, "body"), "A");
  EXPECT_EQ(num(*entries()[1].response, "status"), 404);
  EXPECT_EQ(str(entries()[2].request, "method"), "HEAD");
  EXPECT_EQ(num(*entries()[2].response, "bodySize"), 0);
  EXPECT_EQ(num(*entries()[3].response, "status"), 304);
}

TEST_F(Http1Test, ChunkedWithTrailersFedByteByByte) {
  std::string req =
      "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n";
  for (char c : req) h.a(std::string(1, c));
  h.b("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(str(entries()[0].request, "body"), "hello world");
  EXPECT_EQ(str(*entries()[0].request.find("trailers"), "x-checksum"), "abc");
  EXPECT_EQ(entries()[0].request_size, req.size());
}

TEST_F(Http1Test, TransferEncodingWinsOverContentLength) {
  h.a("POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\n\r\n");
  h.close();
  ASSERT_EQ(entries().size(), 2u);
  EXPECT_EQ(str(entries()[1].request, "url"), "/smuggled");
}

TEST_F(Http1Test, CloseDelimitedBodyEndsAtClose) {
  h.a("GET / HTTP/1.0\r\n\r\n");
  h.b("HTTP/1.0 200 OK\r\n\r\nall of ");
  h.b("this");
  EXPECT_TRUE(entries().empty());
  h.close();
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(str(*entries()[0].response, "body"), "all of this");
  EXPECT_EQ(entries()[0].version, "1.0");
}

TEST_F(Http1Test, ContinueIsSkippedAndFinalResponsePairs) {
  h.a("PUT /f HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  h.b("HTTP/1.1 100 Continue\r\n\r\n");
  h.a("abc");
  h.b("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(num(*entries()[0].response, "status"), 204);
  EXPECT_EQ(str(entries()[0].request, "body"), "abc");
}

TEST_F(Http1Test, GzipDeflateAndBrotliBodiesAreDecoded) {
  std::string text = std::string(2000, 'z') + " the end";
  std::string gz = testing::deflate_compress(text, 31), br = brotli(text);
  h.a("GET /gz HTTP/1.1\r\n\r\nGET /br HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
      "\r\n\r\n" + gz);
  h.b("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: " + std::to_string(br.size()) +
      "\r\n\r\n" + br);
  ASSERT_EQ(entries().size(), 2u);
  EXPECT_EQ(str(*entries()[0].response, "body"), text);
  EXPECT_EQ(num(*entries()[0].response, "bodySize"), int64_t(text.size()));
  EXPECT_EQ(str(*entries()[1].response, "body"), text);
}

TEST_F(Http1Test, BinaryBodyIsBase64AndLargeBodyIsCapped) {
  DissectorHarness small{http1_protocol()};
  small.settings.max_body = 4;
  small.restart();
  small.a("GET / HTTP/1.1\r\n\r\n");
  small.b(
      "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"
      "\xff\xfe"
      "abcd");
  ASSERT_EQ(small.sink.entries.size(), 1u);
  const Json& r = *small.sink.entries[0].response;
  EXPECT_EQ(str(r, "bodyBase64"), "//5hYg==");
  EXPECT_EQ(num(r, "bodySize"), 6);
  EXPECT_EQ(r.find("bodyTruncated")->dump(), "true");
}

TEST_F(Http1Test, UpgradeEndsHttpParsing) {
  h.a("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  h.b("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi");
  h.a("\x81\x82xxxx\x10\x11");
  h.close();
  ASSERT_EQ(entries().size(), 3u);  // the 101, then two WebSocket messages
  EXPECT_EQ(num(*entries()[0].response, "status"), 101);
  EXPECT_EQ(entries()[0].error, "malformed: no Sec-WebSocket-Key");
  EXPECT_EQ(entries()[1].protocol, "websocket");
  EXPECT_EQ(entries()[2].protocol, "websocket");
}

TEST_F(Http1Test, GapInBodyMarksEntryAndParsingContinues) {
  h.a("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
  h.dissector->on_gap(Direction::kAtoB, 5, 1500);
  h.a("GET /b HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(entries().size(), 2u);
  EXPECT_EQ(entries()[0].error, "gap in stream");
  EXPECT_EQ(num(entries()[0].request, "bodySize"), 10);
  EXPECT_EQ(str(entries()[1].request, "url"), "/b");
  EXPECT_EQ(entries()[1].error, "");
}

TEST_F(Http1Test, ResynchronisesAfterAGapInsideAHead) {
  h.a("GET /lost HTTP/1.1\r\nHost: a");
  h.dissector->on_gap(Direction::kAtoB, 100, 1500);
  h.a("rest-of-a-header: x\r\n\r\nGET /found HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  h.close();
  ASSERT_EQ(entries().size(), 2u);
  // The cut request is reported with its start line; the server got it whole,
  // so it answers it first.
  EXPECT_EQ(str(entries()[0].request, "url"), "/lost");
  EXPECT_EQ(entries()[0].error, "gap in stream");
  EXPECT_EQ(num(*entries()[0].response, "status"), 200);
  EXPECT_EQ(str(entries()[1].request, "url"), "/found");
  EXPECT_EQ(entries()[1].error, "no response");
  EXPECT_GE(h.counters.resyncs, 1u);
}

TEST_F(Http1Test, HeadCutByAGapIsReportedWithItsStartLine) {
  h.a("SEARCH /" + std::string(3000, 'A'));
  h.dissector->on_gap(Direction::kAtoB, 8, 1500);
  h.a(std::string(1000, 'q'));
  h.close();
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(str(entries()[0].request, "method"), "SEARCH");
  EXPECT_EQ(str(entries()[0].request, "url"), "/" + std::string(3000, 'A'));
  EXPECT_EQ(entries()[0].error, "gap in stream");
}

// A small segment is parsed at once; one that holds only part of a head
// leaves nothing of that attempt behind.
TEST_F(Http1Test, APartHeadInASmallSegmentLeavesNoFieldsBehind) {
  h.a("GET /x HTTP/1.1\r\nHost: a\r\nX-Y: 1\r\n");
  h.dissector->on_gap(Direction::kAtoB, 8, 1500);
  h.a("more");
  h.close();
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(str(entries()[0].request, "method"), "GET");
  EXPECT_EQ(entries()[0].request.find("headers")->dump(), "{}");
  EXPECT_EQ(entries()[0].error, "gap in stream");

  // Cut by a gap where the start line has a CR: what is salvaged of it
  // (`GET /a`) has no version, and none is left of the attempt.
  DissectorHarness cut{http1_protocol()};
  cut.a("GET /a\rb HTTP/1.1\r\nHost: x\r\n", 100);
  cut.dissector->on_gap(Direction::kAtoB, 8, 150);
  cut.close();
  ASSERT_EQ(cut.sink.entries.size(), 1u);
  EXPECT_EQ(str(cut.sink.entries[0].request, "url"), "/a");
  EXPECT_EQ(cut.sink.entries[0].version, "");

  DissectorHarness start_only{http1_protocol()};  // no line end yet: nothing to parse
  start_only.a("GET /z HTTP/1.1", 100);
  start_only.a("\r\nHost: c\r\n\r\n", 110);
  start_only.b("HTTP/1.1 204 No Content\r\n\r\n", 200);
  ASSERT_EQ(start_only.sink.entries.size(), 1u);
  EXPECT_EQ(str(start_only.sink.entries[0].request, "host"), "c");

  DissectorHarness split{http1_protocol()};
  split.a("GET /y HTTP/1.1\r\nHost: b\r\nX-Y: 1", 100);
  split.a("2\r\nX-Z: 3\r\n\r\n", 110);
  split.b("HTTP/1.1 204 No Content\r\n\r\n", 200);
  ASSERT_EQ(split.sink.entries.size(), 1u);
  EXPECT_EQ(split.sink.entries[0].request.find("headers")->dump(),
            R"({"host":"b","x-y":"12","x-z":"3"})");
}

// Messages are reused (a pool per thread): one that follows a message with a
// body, trailers, a failed decoding and a gap, on this connection or another,
// keeps nothing of it.
TEST_F(Http1Test, AMessageAfterAnotherKeepsNothingOfIt) {
  h.a("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
      "X-Checksum: abc\r\n\r\n",
      100);
  h.b("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n0123", 200);
  h.dissector->on_gap(Direction::kBtoA, 6, 210);
  h.a("GET /next HTTP/1.1\r\nHost: n\r\n\r\n", 300);
  h.b("HTTP/1.1 204 No Content\r\n\r\n", 400);
  // The parsers took the first exchange's messages for the third.
  h.a("GET /third HTTP/1.1\r\n\r\n", 500);
  h.b("HTTP/1.1 304 Not Modified\r\n\r\n", 600);
  DissectorHarness other{http1_protocol()};
  other.a("GET /other HTTP/1.1\r\n\r\n", 500);
  other.b("HTTP/1.1 304 Not Modified\r\n\r\n", 600);
  ASSERT_EQ(entries().size(), 3u);
  EXPECT_EQ(entries()[0].error, "gap in stream");
  ASSERT_EQ(other.sink.entries.size(), 1u);
  using Entries = std::initializer_list<const Entry*>;
  for (const Entry* e : Entries{&entries()[1], &entries()[2], &other.sink.entries[0]}) {
    std::string line;
    write_entry_json_after_id(line, *e);
    EXPECT_EQ(e->error, "") << line;
    EXPECT_EQ(e->request.find("trailers"), nullptr) << line;
    EXPECT_EQ(e->response->find("trailers"), nullptr) << line;
    EXPECT_EQ(e->request.find("body"), nullptr) << line;
    EXPECT_EQ(num(e->request, "bodySize"), 0) << line;
    EXPECT_EQ(e->request.find("bodyDecodeError"), nullptr) << line;
    EXPECT_EQ(e->response->find("bodyDecodeError"), nullptr) << line;
    EXPECT_EQ(e->response->find("headers")->dump(), "{}") << line;
    EXPECT_EQ(num(*e->response, "bodySize"), 0) << line;
  }
  EXPECT_EQ(entries()[1].request.find("headers")->dump(), R"({"host":"n"})");
  EXPECT_EQ(entries()[1].request_size, 31u);
  EXPECT_EQ(entries()[1].response_size, 27u);
  EXPECT_EQ(entries()[1].timestamp_us, 300);
  for (const Entry* e : Entries{&entries()[2], &other.sink.entries[0]}) {
    EXPECT_EQ(e->request.find("headers")->dump(), "{}");
    EXPECT_EQ(e->request_size, 23u);
    EXPECT_EQ(e->response_size, 29u);
    EXPECT_EQ(e->timestamp_us, 500);
    EXPECT_EQ(e->elapsed_ms, 0.1);
  }
}

TEST_F(Http1Test, ThousandsOfRepeatedHeadersAreJoinedQuickly) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 12000; ++i) head += "a:b\r\nC:dd\r\n";  // two names, interleaved
  h.a(head + "\r\n");
  h.close();
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(str(*entries()[0].request.find("headers"), "a").size(), 12000u * 3 - 2);
  EXPECT_EQ(str(*entries()[0].request.find("headers"), "c").size(), 12000u * 4 - 2);
}

TEST_F(Http1Test, GarbageIsSkippedAndUnpairedAreReported) {
  h.a("GET /1 HTTP/1.1\r\n\r\n");
  h.b("\x01\x02garbage\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
  h.a("GET /2 HTTP/1.1\r\n\r\n");
  h.close();
  ASSERT_EQ(entries().size(), 2u);
  EXPECT_EQ(num(*entries()[0].response, "status"), 500);
  EXPECT_EQ(entries()[1].error, "no response");
}

TEST_F(Http1Test, TruncatedMessageAtClose) {
  h.a("GET / HTTP/1.1\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  h.close();
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(entries()[0].error, "truncated");
  EXPECT_EQ(str(*entries()[0].response, "body"), "only this");
}

// Connections that pipeline large compressed POSTs and are never answered:
// together they hold at most the memory budget, what it refuses is counted when
// it is refused, and everything goes back when the connections end.
TEST(Http1Memory, PipelinedCompressedBodiesStayWithinOneBudget) {
  MemoryBudget budget(4 << 20);
  std::string noise(256 * 1024, '\0');
  uint32_t x = 12345;
  for (char& c : noise) c = char((x = x * 1103515245 + 12345) >> 24);
  std::string gz = testing::deflate_compress(noise, 31);  // incompressible: about 256 KB
  std::string request =
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
      "Content-Length: " +
      std::to_string(gz.size()) + "\r\n\r\n" + gz;
  std::vector<std::unique_ptr<DissectorHarness>> connections;
  for (int c = 0; c < 4; ++c) {
    connections.push_back(std::make_unique<DissectorHarness>(http1_protocol(), false, &budget));
    for (int i = 0; i < 64; ++i) connections.back()->a(request);
  }
  EXPECT_LE(budget.peak(), budget.limit());
  uint64_t drops = 0;
  for (auto& h : connections) drops += h->counters.budget_drops;
  EXPECT_GT(drops, 0u);  // counted before any connection ended
  EXPECT_GT(budget.refusals(), 0u);
  size_t truncated = 0, entries = 0;
  for (auto& h : connections) {
    h->close();
    for (const Entry& e : h->sink.entries) {
      ++entries;
      EXPECT_EQ(str(e.request, "method"), "POST");
      EXPECT_EQ(e.error, "no response");
      truncated += e.request.find("bodyTruncated") != nullptr;
    }
  }
  EXPECT_EQ(entries, 256u);
  EXPECT_GT(truncated, 0u);
  connections.clear();
  EXPECT_EQ(budget.used(), 0u);
}

// Requests in flight before the first response: every one pairs with its own
// response; past the bound, the oldest go out unanswered and the responses that
// come for them later are known for what they are, so the others never shift.
TEST(Http1Pipelines, TenThousandInFlightPairInOrderAndEvictionsNeverShiftThem) {
  for (size_t max : {size_t(65536), size_t(100)}) {
    DissectorHarness h{http1_protocol()};
    h.settings.max_in_flight = max;
    std::string requests, responses;
    for (int i = 0; i < 10000; ++i) {
      std::string n = std::to_string(i);
      requests += "GET /item/" + n + " HTTP/1.1\r\nHost: a\r\n\r\n";
      responses +=
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n.size()) + "\r\n\r\n" + n;
    }
    h.a(requests, 1000);
    h.b(responses, 2000);
    h.close();
    size_t paired = 0, evicted = 0, orphans = 0;
    for (const Entry& e : h.sink.entries) {
      if (e.error.empty()) {
        ++paired;
        EXPECT_EQ("/item/" + str(*e.response, "body"), str(e.request, "url"));
      } else if (e.error.starts_with("no response: evicted")) {
        ++evicted;
      } else if (e.error.starts_with("no request: its request was evicted")) {
        ++orphans;
      } else {
        ADD_FAILURE() << e.error;
      }
    }
    EXPECT_EQ(paired, std::min<size_t>(10000, max)) << max;
    EXPECT_EQ(evicted, 10000 - paired) << max;
    EXPECT_EQ(orphans, 10000 - paired) << max;
    EXPECT_EQ(h.counters.pipeline_evictions, 10000 - paired) << max;
  }
}

// A body cut at its cap is counted as truncated (it was only marked on the entry).
TEST_F(Http1Test, BodiesCutAtTheirCapAreCounted) {
  std::string big(100000, 'x');
  h.a("POST /p HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + big);
  h.b("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_TRUE(entries()[0].request.find("bodyTruncated"));
  EXPECT_EQ(h.counters.body_truncated, 1u);
}

}  // namespace
}  // namespace trawl
