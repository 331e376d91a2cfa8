// The stream session on bytes alone, as a byte-stream source (eBPF TLS
// plaintext) drives it: no packets, no flow table.
#include "dissect/stream_session.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;
using testing::num;
using testing::str;

class StreamSessionTest : public ::testing::Test {
 protected:
  StreamSessionTest() {
    flow.stream = "ebpf-1";
    flow.layer4 = "tcp";
    flow.a = {"10.0.0.1", 40000};
    flow.b = {"10.0.0.2", 9999};  // no protocol's port: content decides
  }
  StreamSession& session() {
    if (!s) s.emplace(flow, kOverTcp, sink, counters, settings, 8);
    return *s;
  }
  void a(std::string_view text, int64_t ts) {
    session().on_data(Direction::kAtoB, bytes(text), ts);
  }
  void b(std::string_view text, int64_t ts) {
    session().on_data(Direction::kBtoA, bytes(text), ts);
  }

  FlowContext flow;
  testing::CapturingSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  std::optional<StreamSession> s;
};

TEST_F(StreamSessionTest, ChoosesTheProtocolFromContentAndFeedsIt) {
  a("GET /plain HTTP/1.1\r\nHost: api\r\n\r\n", 10);
  b("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 20);
  EXPECT_EQ(session().protocol(), "http");
  session().on_close(30);
  ASSERT_EQ(sink.entries.size(), 1u);
  const Entry& e = sink.entries[0];
  EXPECT_EQ(str(e.request, "url"), "/plain");
  EXPECT_EQ(num(*e.response, "status"), 200);
  EXPECT_EQ(e.stream, "ebpf-1");
  EXPECT_EQ(e.src.port, 40000);
}

// A DNS query over TCP: two bytes of length, then the message.
const std::string kQuery(
    "\x00\x17\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01"
    "a\x03"
    "com\x00\x00\x01\x00\x01",
    25);

// A first message split across writes: the probe says Maybe, the bytes are
// held, and the next write decides; the entry starts at the first byte.
TEST_F(StreamSessionTest, HoldsUndecidedBytesUntilTheNextChunkDecides) {
  a(kQuery.substr(0, 16), 5);
  EXPECT_EQ(session().protocol(), "");
  a(kQuery.substr(16), 6);
  EXPECT_EQ(session().protocol(), "dns");
  session().on_close(8);
  ASSERT_EQ(sink.entries.size(), 1u);
  EXPECT_EQ(sink.entries[0].timestamp_us, 5);
  EXPECT_EQ(sink.entries[0].request.find("questions")->dump(),
            R"([{"name":"a.com","type":"A","class":"IN"}])");
}

// Bytes still held when the connection ends get a last, final attempt.
TEST_F(StreamSessionTest, TheCloseGivesHeldBytesAFinalAttempt) {
  a(kQuery.substr(0, 16), 5);
  EXPECT_EQ(session().protocol(), "");
  session().on_close(9);
  EXPECT_EQ(session().protocol(), "");  // a Maybe is taken at the end only on its port
  flow.b.port = 53;
  s.reset();
  a(kQuery.substr(0, 16), 5);
  session().on_close(9);
  EXPECT_EQ(session().protocol(), "dns");
}

// Bytes no probe recognises, attempt after attempt, leave the connection
// undissected; later bytes cost nothing and a gap before detection is ignored.
TEST_F(StreamSessionTest, GivesUpAfterItsAttempts) {
  session().on_gap(Direction::kAtoB, 100, 1);
  for (int i = 0; i < 8; ++i) {
    a(std::string("\x01\x02\xfe\xff opaque", 11), 2 + i);
    b(std::string("\x03\x04\xfd opaque", 10), 2 + i);
  }
  a("GET / HTTP/1.1\r\n\r\n", 20);
  session().on_close(30);
  EXPECT_EQ(session().protocol(), "");
  EXPECT_TRUE(sink.entries.empty());
}

}  // namespace
}  // namespace trawl
