#include "protocols/dns/dns.h"

#include <gtest/gtest.h>

#include "protocols/dns/dns_message.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::DissectorHarness;
using testing::str;

using Buf = std::vector<uint8_t>;

Buf header(uint16_t id, bool response, uint16_t qd, uint16_t an, uint8_t rcode = 0) {
  return {uint8_t(id >> 8),
          uint8_t(id),
          uint8_t(response ? 0x81 : 0x01),
          uint8_t(response ? 0x80 | rcode : 0),
          0,
          uint8_t(qd),
          0,
          uint8_t(an),
          0,
          0,
          0,
          0};
}
void append(Buf& b, const Buf& more) {
  b.insert(b.end(), more.begin(), more.end());
}
const Buf kQuestion = {3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p', 'l',
                       'e', 3,   'c', 'o', 'm', 0,   0,   1,   0,   1};

Buf query(uint16_t id) {
  Buf q = header(id, false, 1, 0);
  append(q, kQuestion);
  return q;
}

Buf response(uint16_t id, uint8_t rcode = 0) {
  Buf r = header(id, true, 1, 3, rcode);
  append(r, kQuestion);
  // CNAME www.example.com -> web.example.com (compressed), A and a TYPE999 record
  append(r, {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 6, 3, 'w', 'e', 'b', 0xC0, 16});
  append(r, {0xC0, 45, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 93, 184, 216, 34});
  append(r, {0xC0, 45, 0x03, 0xE7, 0, 1, 0, 0, 0, 1, 0, 2, 0xAB, 0xCD});
  return r;
}

std::string text(const Buf& b) {
  return std::string(b.begin(), b.end());
}

// A message as sent over TCP: its 2-byte length first.
Buf tcp_framed(const Buf& m) {
  Buf out = {uint8_t(m.size() >> 8), uint8_t(m.size())};
  append(out, m);
  return out;
}

TEST(DnsMessage, ParsesCompressedNamesAndRenderableData) {
  std::string error;
  Buf r = response(7);
  auto m = parse_dns_message(Bytes(r), error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(m->response);
  ASSERT_EQ(m->answers.size(), 3u);
  EXPECT_EQ(m->answers[0].data, "web.example.com");
  EXPECT_EQ(m->answers[1].name, "web.example.com");
  EXPECT_EQ(m->answers[1].data, "93.184.216.34");
  EXPECT_EQ(m->answers[1].ttl, 256u);
  EXPECT_EQ(dns_type_name(m->answers[2].type), "TYPE999");
  EXPECT_EQ(m->answers[2].data, "abcd");
}

TEST(DnsMessage, CompressionLoopsAreRejected) {
  Buf m = header(1, false, 1, 0);
  append(m, {0xC0, 12, 0, 1, 0, 1});  // a name pointing at itself
  std::string error;
  EXPECT_FALSE(parse_dns_message(Bytes(m), error));
  Buf forward = header(1, false, 1, 0);
  append(forward, {0xC0, 14, 0, 0, 1, 0, 1});  // pointer forward
  EXPECT_FALSE(parse_dns_message(Bytes(forward), error));
}

TEST(DnsMessage, TruncatedRecordsAreErrors) {
  Buf r = response(1);
  r.resize(r.size() - 1);
  std::string error;
  EXPECT_FALSE(parse_dns_message(Bytes(r), error));
  EXPECT_EQ(error, "resource record data past the end");
}

TEST(Dns, UdpPairsByIdAndQuestion) {
  DissectorHarness h{dns_protocol(), true};
  h.a(text(query(1)), 100);
  h.a(text(query(2)), 110);
  h.b(text(response(2, 3)), 300);
  h.b(text(response(1)), 400);
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  const Entry& second = h.sink.entries[0];
  EXPECT_EQ(testing::num(second.request, "id"), 2);
  EXPECT_EQ(str(*second.response, "rcodeName"), "NXDOMAIN");
  EXPECT_DOUBLE_EQ(second.elapsed_ms, 0.19);
  EXPECT_EQ(second.request.find("questions")->dump(),
            R"([{"name":"www.example.com","type":"A","class":"IN"}])");
  EXPECT_EQ(h.sink.entries[1].layer4, "udp");
}

TEST(Dns, TcpFramingWithSeveralMessagesAndSplits) {
  DissectorHarness h{dns_protocol()};
  auto framed = [](const Buf& m) {
    std::string s{char(m.size() >> 8), char(m.size() & 0xFF)};
    return s + text(m);
  };
  std::string both = framed(query(5)) + framed(query(6));
  h.a(both.substr(0, 7));
  h.a(both.substr(7));
  std::string answers = framed(response(5)) + framed(response(6));
  for (char c : answers) h.b(std::string(1, c));
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].request_size, query(5).size() + 2);
  EXPECT_EQ(h.sink.entries[1].response->find("answers")->size(), 3u);
}

TEST(Dns, UnansweredAndUnaskedAreReported) {
  DissectorHarness h{dns_protocol(), true};
  h.a(text(query(9)));
  h.b(text(response(10)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].error, "no request");
  EXPECT_EQ(h.sink.entries[0].request.find("questions"), nullptr);
  EXPECT_EQ(h.sink.entries[1].error, "no response");
}

TEST(Dns, MalformedDatagramGetsAnErrorEntry) {
  DissectorHarness h{dns_protocol(), true};
  Buf bad = header(1, false, 2, 0);
  h.a(text(bad));
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "malformed: bad question");
}

TEST(Dns, Probe) {
  auto probe = dns_protocol().probe;
  Buf q = query(1);
  EXPECT_EQ(probe(Bytes(q), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(probe(testing::bytes("GET / HTTP/1.1\r\n\r\n"), Direction::kAtoB), Probe::kNo);
  Buf framed = tcp_framed(q);
  EXPECT_EQ(probe(Bytes(framed), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(probe(Bytes(framed).first(framed.size() - 3), Direction::kAtoB), Probe::kMaybe);
}

// Two length-prefixed queries in one segment (glibc's resolver over TCP sends
// A and AAAA so): both are recognised, and both pair with their answers.
TEST(Dns, TwoQueriesInOneTcpSegmentPairWithTheirAnswers) {
  Buf a = query(0x1111), aaaa = query(0x2222);
  aaaa[aaaa.size() - 3] = 28;  // QTYPE AAAA
  Buf both = tcp_framed(a);
  append(both, tcp_framed(aaaa));
  EXPECT_EQ(dns_protocol().probe(Bytes(both), Direction::kAtoB), Probe::kYes);
  DissectorHarness h{dns_protocol()};
  h.a(text(both), 1000);
  Buf ra = header(0x1111, true, 1, 0), raaaa = header(0x2222, true, 1, 0);
  append(ra, kQuestion);
  Buf q6 = kQuestion;
  q6[q6.size() - 3] = 28;
  append(raaaa, q6);
  Buf answers = tcp_framed(raaaa);
  append(answers, tcp_framed(ra));
  h.b(text(answers), 2000);
  ASSERT_EQ(h.sink.entries.size(), 2u);
  for (const Entry& e : h.sink.entries) EXPECT_EQ(e.error, "") << e.error;
}

}  // namespace
}  // namespace trawl
