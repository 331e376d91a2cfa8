#include "protocols/redis/redis.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;

std::string command(std::initializer_list<std::string> words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const auto& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

struct Redis : DissectorHarness {
  Redis() : DissectorHarness(redis_protocol()) { flow.b.port = 6379; }
  const Json& req(size_t i) { return sink.entries.at(i).request; }
  const Json& resp(size_t i) { return *sink.entries.at(i).response; }
};

TEST(Redis, PipelinedCommandsPairInOrderWithKeys) {
  Redis h;
  h.a(command({"SET", "user:1", "ada"}) + command({"GET", "user:1"}) + command({"INCR", "n"}) +
      command({"HGETALL", "h"}) + command({"GET", "missing"}));
  h.b("+OK\r\n$3\r\nada\r\n:42\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$-1\r\n");
  ASSERT_EQ(h.sink.entries.size(), 5u);
  EXPECT_EQ(h.sink.entries[0].protocol, "redis");
  EXPECT_EQ(h.sink.entries[0].version, "RESP2");
  EXPECT_EQ(str(h.req(0), "command"), "SET");
  EXPECT_EQ(h.req(0).find("args")->dump(), R"(["user:1","ada"])");
  EXPECT_EQ(str(h.req(0), "key"), "user:1");
  EXPECT_EQ(str(h.resp(0), "type"), "simple");
  EXPECT_EQ(str(h.resp(0), "value"), "OK");
  EXPECT_EQ(str(h.resp(1), "value"), "ada");
  EXPECT_EQ(num(h.resp(2), "value"), 42);
  EXPECT_EQ(h.resp(3).find("value")->dump(), R"(["f","v"])");
  EXPECT_EQ(str(h.resp(4), "type"), "null");
  EXPECT_EQ(h.sink.entries[4].request_size, command({"GET", "missing"}).size());
}

// Ten thousand commands in flight before the first reply (redis-cli --pipe):
// every one pairs with its own reply.
TEST(Redis, TenThousandCommandsInFlightPairInOrder) {
  Redis h;
  std::string commands, replies;
  for (int i = 0; i < 10000; ++i) {
    commands += command({"GET", "k" + std::to_string(i)});
    replies +=
        "$" + std::to_string(std::to_string(i).size() + 1) + "\r\nv" + std::to_string(i) + "\r\n";
  }
  h.a(commands);
  h.b(replies);
  ASSERT_EQ(h.sink.entries.size(), 10000u);
  for (size_t i = 0; i < 10000; ++i) {
    const Entry& e = h.sink.entries[i];
    ASSERT_EQ(e.error, "") << i;
    ASSERT_EQ(str(*e.response, "value"), "v" + std::to_string(i)) << i;
  }
}

// Past the bound of commands in flight, the oldest go out unanswered, and the
// replies that come for them later are known for what they are: the pairs of
// the others never shift.
TEST(Redis, EvictedCommandsNeverShiftThePairs) {
  Redis h;
  h.settings.max_in_flight = 100;
  std::string commands, replies;
  for (int i = 0; i < 300; ++i) {
    commands += command({"GET", "k" + std::to_string(i)});
    replies +=
        "$" + std::to_string(std::to_string(i).size() + 1) + "\r\nv" + std::to_string(i) + "\r\n";
  }
  h.a(commands);
  h.b(replies);
  ASSERT_EQ(h.sink.entries.size(), 500u);  // 200 unanswered, 200 replies alone, 100 pairs
  size_t paired = 0, evicted = 0, orphans = 0;
  for (const Entry& e : h.sink.entries) {
    if (e.error.empty()) {
      ++paired;
      std::string key = e.request.find("args")->items()[0].str();
      EXPECT_EQ(str(*e.response, "value"), "v" + key.substr(1));  // its own reply
    } else if (e.error.starts_with("no response")) {
      ++evicted;
    } else if (e.error.starts_with("no request")) {
      ++orphans;
    }
  }
  EXPECT_EQ(paired, 100u);
  EXPECT_EQ(evicted, 200u);
  EXPECT_EQ(orphans, 200u);
  EXPECT_EQ(h.counters.pipeline_evictions, 200u);
}

TEST(Redis, Resp3TypesAndAttributes) {
  Redis h;
  h.a(command({"HELLO", "3"}) + command({"X"}) + command({"Y"}) + command({"Z"}));
  h.b("%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n");
  h.b("~2\r\n,1.5\r\n#t\r\n");
  h.b("|1\r\n+ttl\r\n:60\r\n(12345678901234567890\r\n");
  h.b("=15\r\ntxt:Some string\r\n");
  ASSERT_EQ(h.sink.entries.size(), 4u);
  EXPECT_EQ(h.sink.entries[0].version, "RESP3");
  EXPECT_EQ(str(h.resp(0), "type"), "map");
  EXPECT_EQ(h.resp(0).find("value")->dump(), R"({"server":"redis","proto":3})");
  EXPECT_EQ(h.resp(1).find("value")->dump(), R"([1.5,true])");
  EXPECT_EQ(str(h.resp(2), "type"), "bignum");
  EXPECT_EQ(h.resp(2).find("attributes")->dump(), R"([{"ttl":60}])");
  EXPECT_EQ(str(h.resp(3), "value"), "Some string");
}

TEST(Redis, InlineCommandsAuthRedactionAndErrors) {
  Redis h;
  h.a("PING\r\nAUTH app s3cret\r\n");
  h.a(command({"HELLO", "3", "AUTH", "app", "s3cret"}));
  h.a(command({"CONFIG", "SET", "requirepass", "s3cret"}));
  h.b("+PONG\r\n-WRONGPASS invalid\r\n-ERR x\r\n+OK\r\n");
  ASSERT_EQ(h.sink.entries.size(), 4u);
  EXPECT_EQ(str(h.req(0), "command"), "PING");
  EXPECT_EQ(h.req(0).find("inline")->dump(), "true");
  EXPECT_EQ(h.req(1).find("args")->dump(), R"(["app","[redacted]"])");
  EXPECT_EQ(str(h.resp(1), "type"), "error");
  EXPECT_EQ(h.req(2).find("args")->dump(), R"(["3","AUTH","app","[redacted]"])");
  EXPECT_EQ(h.req(3).find("args")->dump(), R"(["SET","requirepass","[redacted]"])");
  for (const Entry& e : h.sink.entries) {
    std::string line;
    write_entry_json(line, e);
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
  }
}

TEST(Redis, PubSubMessagesAreEntriesWithoutARequest) {
  Redis h;
  h.a(command({"SUBSCRIBE", "a", "b"}));
  h.b("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
  h.b("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n");
  h.b(">3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$3\r\nbye\r\n");
  ASSERT_EQ(h.sink.entries.size(), 3u);
  EXPECT_EQ(str(h.req(0), "command"), "SUBSCRIBE");
  EXPECT_EQ(h.resp(0).find("value")->dump(), R"([["subscribe","a",1],["subscribe","b",2]])");
  EXPECT_EQ(h.req(1).find("command"), nullptr);
  EXPECT_EQ(h.resp(1).find("value")->dump(), R"(["message","a","hello"])");
  EXPECT_TRUE(h.sink.entries[1].error.empty());
  EXPECT_EQ(str(h.resp(2), "type"), "push");
}

TEST(Redis, TransactionsAndOneByteSegments) {
  Redis h;
  std::string out = command({"MULTI"}) + command({"SET", "k", "v"}) + command({"EXEC"});
  for (char c : out) h.a(std::string(1, c));
  std::string in = "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n";
  for (char c : in) h.b(std::string(1, c));
  ASSERT_EQ(h.sink.entries.size(), 3u);
  EXPECT_EQ(str(h.resp(1), "value"), "QUEUED");
  EXPECT_EQ(str(h.req(2), "command"), "EXEC");
  EXPECT_EQ(h.resp(2).find("value")->dump(), R"(["OK"])");
}

TEST(Redis, GapResynchronisesAtTheNextCommand) {
  Redis h;
  h.a(command({"SET", "a", std::string(100, 'x')}).substr(0, 30));
  h.dissector->on_gap(Direction::kAtoB, 200, 1500);
  h.a("xxxx\r\n" + command({"GET", "b"}));
  h.b("+OK\r\n$1\r\n1\r\n");
  h.close();
  bool found = false;
  for (const Entry& e : h.sink.entries)
    if (str(e.request, "command") == "GET") {
      found = true;
      EXPECT_EQ(str(e.request, "key"), "b");
    }
  EXPECT_TRUE(found);
  EXPECT_GE(h.counters.resyncs, 1u);
}

TEST(Redis, AttributesDescribeTheValueTheyPrecede) {
  Redis h;
  h.a(command({"HELLO", "3"}) + command({"A"}) + command({"B"}));
  h.b("%1\r\n+proto\r\n:3\r\n");
  // Before a whole reply: its attributes. Inside an aggregate: not an element.
  h.b("|1\r\n+popularity\r\n%1\r\n$1\r\na\r\n,0.5\r\n*2\r\n:1\r\n:2\r\n");
  h.b("*2\r\n|1\r\n+ttl\r\n:9\r\n:1\r\n:2\r\n");
  ASSERT_EQ(h.sink.entries.size(), 3u);
  EXPECT_EQ(h.resp(1).find("value")->dump(), "[1,2]");
  EXPECT_EQ(h.resp(1).find("attributes")->dump(), R"([{"popularity":{"a":0.5}}])");
  EXPECT_EQ(h.resp(2).find("value")->dump(), "[1,2]");
  EXPECT_EQ(h.resp(2).find("attributes"), nullptr);
}

TEST(Redis, CutValuesAreMarkedAtAnyDepthAndBinaryIsBase64) {
  Redis h;
  h.settings.max_body = 4;
  h.a(command({"SET", "k", "abcdefgh"}) + command({"GET", std::string("\xff\xfe", 2)}));
  h.b("+OK\r\n*1\r\n$8\r\nabcdefgh\r\n");
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.req(0).find("args")->dump(), R"(["k","abcd"])");
  EXPECT_TRUE(h.req(0).find("argsTruncated"));
  EXPECT_EQ(h.req(1).find("key")->dump(), R"({"base64":"//4="})");
  EXPECT_EQ(h.resp(1).find("value")->dump(), R"(["abcd"])");
  EXPECT_TRUE(h.resp(1).find("valueTruncated"));
}

TEST(Redis, ProbeByContent) {
  const ProtocolInfo& p = redis_protocol();
  EXPECT_EQ(p.probe(bytes(command({"GET", "k"})), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes("+OK\r\n"), Direction::kBtoA), Probe::kMaybe);
  EXPECT_EQ(p.probe(bytes("PING\r\n"), Direction::kAtoB), Probe::kMaybe);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\n"), Direction::kAtoB), Probe::kMaybe);
  EXPECT_EQ(p.probe(bytes("\x16\x03\x01\x00\x10"), Direction::kAtoB), Probe::kNo);
}

}  // namespace
}  // namespace trawl
