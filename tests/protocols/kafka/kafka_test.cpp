#include "protocols/kafka/kafka.h"

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
std::string framed(const std::string& body) {
  return be32(uint32_t(body.size())) + body;
}
std::string request(int key, int version, uint32_t correlation, const std::string& client,
                    const std::string& body) {
  return framed(be16(key) + be16(version) + be32(correlation) + be16(int(client.size())) + client +
                body);
}
std::string response(uint32_t correlation, const std::string& body) {
  return framed(be32(correlation) + body);
}

TEST(Kafka, RequestHeadersPairedByCorrelationId) {
  DissectorHarness h(kafka_protocol());
  h.a(request(18, 3, 7, "rdkafka", std::string(20, '\0')) + request(3, 12, 8, "rdkafka", "x"));
  // A large Fetch response arrives in pieces and is skipped, not kept.
  std::string big = response(8, std::string(100000, 'r'));
  h.b(response(7, std::string(2, '\0')));
  for (size_t i = 0; i < big.size(); i += 1000) h.b(big.substr(i, 1000));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.protocol, "kafka");
  EXPECT_EQ(num(e.request, "apiKey"), 18);
  EXPECT_EQ(str(e.request, "apiKeyName"), "ApiVersions");
  EXPECT_EQ(num(e.request, "apiVersion"), 3);
  EXPECT_EQ(num(e.request, "correlationId"), 7);
  EXPECT_EQ(str(e.request, "clientId"), "rdkafka");
  EXPECT_EQ(num(*e.response, "correlationId"), 7);
  EXPECT_EQ(e.error, "body not dissected: ApiVersions v3");
  EXPECT_EQ(str(h.sink.entries[1].request, "apiKeyName"), "Metadata");
  EXPECT_EQ(h.sink.entries[1].response_size, big.size());
}

TEST(Kafka, ProbeAndBadFraming) {
  const ProtocolInfo& p = kafka_protocol();
  EXPECT_EQ(p.probe(bytes(request(0, 9, 1, "producer", "body")), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\nHost: x\r\n"), Direction::kAtoB), Probe::kNo);
  DissectorHarness h(p);
  h.a(std::string("\xff\xff\xff\xff", 4) + "garbage");
  h.close();
  EXPECT_EQ(h.sink.entries.size(), 0u);
  EXPECT_EQ(h.counters.malformed, 1u);
}

}  // namespace
}  // namespace trawl
