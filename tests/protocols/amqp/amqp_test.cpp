#include "protocols/amqp/amqp.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;

std::string be16(int v) {
  return {char(v >> 8), char(v)};
}
std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string be64(uint64_t v) {
  return be32(uint32_t(v >> 32)) + be32(uint32_t(v));
}
std::string shortstr(const std::string& s) {
  return std::string(1, char(s.size())) + s;
}
std::string longstr(const std::string& s) {
  return be32(uint32_t(s.size())) + s;
}
std::string frame(int type, int channel, const std::string& payload) {
  return std::string(1, char(type)) + be16(channel) + be32(uint32_t(payload.size())) + payload +
         "\xCE";
}
std::string method(int channel, int cls, int m, const std::string& args) {
  return frame(1, channel, be16(cls) + be16(m) + args);
}
const std::string kHeader("AMQP\0\0\x09\x01", 8);

TEST(Amqp, ConnectionHandshakeAndQueueDeclarePair) {
  DissectorHarness h(amqp_protocol());
  h.a(kHeader);
  std::string table =
      longstr(shortstr("product") + "S" + longstr("RabbitMQ") + shortstr("capabilities") + "F" +
              longstr(shortstr("publisher_confirms") + "t" + std::string(1, '\1')));
  h.b(method(0, 10, 10,
             std::string("\0\x09", 2) + table + longstr("PLAIN AMQPLAIN") + longstr("en_US")));
  h.a(method(0, 10, 11,
             longstr("") + shortstr("PLAIN") + longstr(std::string("\0guest\0guest", 12)) +
                 shortstr("en_US")));
  // queue.declare: reserved, "jobs", bits durable (bit 1), then an empty table.
  h.a(method(1, 50, 10, be16(0) + shortstr("jobs") + std::string(1, '\x02') + longstr("")));
  h.b(method(1, 50, 11, shortstr("jobs") + be32(3) + be32(1)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  const Entry& start = h.sink.entries[0];
  EXPECT_EQ(start.protocol, "amqp");
  EXPECT_EQ(start.version, "0-9-1");
  EXPECT_EQ(str(start.request, "method"), "connection.start");
  EXPECT_EQ(start.src.ip, "10.0.0.2");  // the server starts
  EXPECT_EQ(start.request.find("serverProperties")->dump(),
            R"({"product":"RabbitMQ","capabilities":{"publisher_confirms":true}})");
  EXPECT_EQ(str(*start.response, "method"), "connection.start-ok");
  EXPECT_EQ(num(*start.response, "responseSize"), 12);  // credentials: their size only
  std::string line;
  write_entry_json(line, start);
  EXPECT_EQ(line.find("guest"), std::string::npos);
  const Entry& declare = h.sink.entries[1];
  EXPECT_EQ(str(declare.request, "queue"), "jobs");
  EXPECT_EQ(declare.request.find("durable")->dump(), "true");
  EXPECT_EQ(declare.request.find("passive")->dump(), "false");
  EXPECT_EQ(num(declare.request, "channel"), 1);
  EXPECT_EQ(num(*declare.response, "messageCount"), 3);
  EXPECT_TRUE(declare.error.empty()) << declare.error;
}

// Synchronous methods in flight on one channel before the first answer: each
// pairs with its own answer; past the bound, the oldest go out unanswered and
// their answers are known for what they are, so the others never shift.
TEST(Amqp, TenThousandInFlightPairInOrderAndEvictionsNeverShiftThem) {
  for (size_t max : {size_t(65536), size_t(100)}) {
    DissectorHarness h(amqp_protocol());
    h.settings.max_in_flight = max;
    h.a(kHeader);
    std::string declares, oks;
    for (int i = 0; i < 10000; ++i) {
      std::string q = "q" + std::to_string(i);
      declares += method(1, 50, 10, be16(0) + shortstr(q) + std::string(1, '\0') + longstr(""));
      oks += method(1, 50, 11, shortstr(q) + be32(0) + be32(0));
    }
    h.a(declares);
    h.b(oks);
    h.close();
    size_t paired = 0, evicted = 0, orphans = 0;
    for (const Entry& e : h.sink.entries) {
      if (e.error.empty()) {
        ++paired;
        EXPECT_EQ(str(e.request, "queue"), str(*e.response, "queue"));
      } else if (e.error.starts_with("no response: evicted")) {
        ++evicted;
      } else if (e.error.starts_with("no request: its method was evicted")) {
        ++orphans;
      }
    }
    EXPECT_EQ(paired, std::min<size_t>(10000, max)) << max;
    EXPECT_EQ(evicted, 10000 - paired) << max;
    EXPECT_EQ(orphans, 10000 - paired) << max;
  }
}

TEST(Amqp, PublishWithPropertiesAndBodyFramesAndGet) {
  DissectorHarness h(amqp_protocol());
  h.a(kHeader);
  h.a(method(1, 60, 40, be16(0) + shortstr("orders") + shortstr("eu.new") + std::string(1, '\0')));
  // Header: class 60, weight 0, body size 11, flags contentType|deliveryMode|correlationId.
  h.a(frame(2, 1,
            be16(60) + be16(0) + be64(11) + be16(0x8000 | 0x1000 | 0x0400) +
                shortstr("text/plain") + std::string(1, '\x02') + shortstr("c-42")));
  h.a(frame(3, 1, "hello ") + frame(3, 1, "world"));
  h.a(method(1, 60, 70, be16(0) + shortstr("orders") + std::string(1, '\1')));
  h.b(method(1, 60, 71,
             be64(5) + std::string(1, '\0') + shortstr("orders") + shortstr("eu.new") + be32(0)) +
      frame(2, 1, be16(60) + be16(0) + be64(2) + be16(0)) + frame(3, 1, "hi"));
  h.a(method(1, 60, 70, be16(0) + shortstr("empty") + std::string(1, '\1')));
  h.b(method(1, 60, 72, shortstr("")));
  h.a(method(1, 60, 80, be64(5) + std::string(1, '\0')));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 4u);
  const Entry& publish = h.sink.entries[0];
  EXPECT_EQ(str(publish.request, "method"), "basic.publish");
  EXPECT_EQ(str(publish.request, "routingKey"), "eu.new");
  EXPECT_EQ(publish.request.find("properties")->dump(),
            R"({"contentType":"text/plain","deliveryMode":2,"correlationId":"c-42"})");
  EXPECT_EQ(str(publish.request, "body"), "hello world");
  EXPECT_EQ(num(publish.request, "bodySize"), 11);
  EXPECT_FALSE(publish.response);
  const Entry& get = h.sink.entries[1];
  EXPECT_EQ(str(*get.response, "method"), "basic.get-ok");
  EXPECT_EQ(str(*get.response, "body"), "hi");
  EXPECT_EQ(num(*get.response, "deliveryTag"), 5);
  EXPECT_EQ(str(*h.sink.entries[2].response, "method"), "basic.get-empty");
  EXPECT_EQ(str(h.sink.entries[3].request, "method"), "basic.ack");
}

TEST(Amqp, NoWaitIsAnsweredByNothingAndBadFramesAreCounted) {
  DissectorHarness h(amqp_protocol());
  h.a(kHeader);
  h.a(method(2, 50, 20,
             be16(0) + shortstr("q") + shortstr("x") + shortstr("k") + std::string(1, '\1') +
                 longstr("")));
  std::string bad = method(2, 60, 80, be64(1) + std::string(1, '\0'));
  bad.back() = 'X';  // not the frame-end octet
  h.a(bad);
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(str(h.sink.entries[0].request, "method"), "queue.bind");
  EXPECT_FALSE(h.sink.entries[0].response);
  EXPECT_TRUE(h.sink.entries[0].error.empty());
  EXPECT_EQ(h.counters.malformed, 1u);
  EXPECT_EQ(amqp_protocol().probe(bytes(kHeader), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(amqp_protocol().probe(bytes("GET / HTTP/1.1\r\n"), Direction::kAtoB), Probe::kNo);
}

}  // namespace
}  // namespace trawl
