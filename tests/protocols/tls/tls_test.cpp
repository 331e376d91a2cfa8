#include "protocols/tls/tls.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "capture/pcap_source.h"
#include "pipeline/pipeline.h"
#include "protocols/tls/tls_handshake.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::DissectorHarness;
using testing::str;

using Buf = std::vector<uint8_t>;

void u16(Buf& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void u24(Buf& b, uint32_t v) {
  b.push_back(uint8_t(v >> 16));
  u16(b, uint16_t(v));
}
Buf extension(uint16_t type, const Buf& data) {
  Buf e;
  u16(e, type);
  u16(e, uint16_t(data.size()));
  e.insert(e.end(), data.begin(), data.end());
  return e;
}

// A TLS 1.3 ClientHello with GREASE, SNI, ALPN, groups, point formats,
// signature algorithms and supported_versions.
Buf client_hello() {
  Buf body;
  u16(body, 0x0303);
  body.insert(body.end(), 32, 0x11);
  body.push_back(0);  // session id
  Buf suites = {0x0A, 0x0A, 0x13, 0x01, 0x13, 0x02, 0xC0, 0x2F};
  u16(body, uint16_t(suites.size()));
  body.insert(body.end(), suites.begin(), suites.end());
  body.push_back(1);
  body.push_back(0);
  Buf exts;
  auto add = [&](const Buf& e) { exts.insert(exts.end(), e.begin(), e.end()); };
  add(extension(0x1A1A, {}));
  Buf sni = {0, 14, 0, 0, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'};
  add(extension(0, sni));
  add(extension(10, {0, 6, 0x2A, 0x2A, 0, 29, 0, 23}));
  add(extension(11, {1, 0}));
  add(extension(13, {0, 4, 4, 3, 8, 4}));
  add(extension(16, {0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}));
  add(extension(43, {4, 3, 4, 3, 3}));
  u16(body, uint16_t(exts.size()));
  body.insert(body.end(), exts.begin(), exts.end());
  Buf msg = {1};
  u24(msg, uint32_t(body.size()));
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

Buf server_hello(bool retry) {
  static const uint8_t kRetry[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                     0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                     0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                     0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  Buf body;
  u16(body, 0x0303);
  if (retry)
    body.insert(body.end(), kRetry, kRetry + 32);
  else
    body.insert(body.end(), 32, 0x22);
  body.push_back(0);
  u16(body, 0x1302);
  body.push_back(0);
  Buf exts = extension(43, {3, 4});
  u16(body, uint16_t(exts.size()));
  body.insert(body.end(), exts.begin(), exts.end());
  Buf msg = {2};
  u24(msg, uint32_t(body.size()));
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

std::string records(const Buf& handshake, size_t record_size) {
  std::string out;
  for (size_t i = 0; i < handshake.size(); i += record_size) {
    size_t n = std::min(record_size, handshake.size() - i);
    out += std::string{char(22), char(3), char(1), char(n >> 8), char(n & 0xFF)};
    out.append(handshake.begin() + long(i), handshake.begin() + long(i + n));
  }
  return out;
}

TEST(TlsHandshake, ClientHelloFields) {
  Buf ch = client_hello();
  auto parsed = parse_client_hello(Bytes(ch).subspan(4));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sni, "example.com");
  EXPECT_EQ(parsed->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(ja3_string(*parsed), "771,4865-4866-49199,0-10-11-13-16-43,29-23,0");
  EXPECT_EQ(ja3_hash(*parsed).size(), 32u);
  std::string ja4_value = ja4(*parsed);
  EXPECT_EQ(ja4_value.substr(0, 10), "t13d0306h2");  // 3 suites, 6 extensions without GREASE
  EXPECT_EQ(ja4_value.size(), 36u);
}

TEST(Tls, HelloSplitAcrossRecordsAndSegments) {
  DissectorHarness h{tls_protocol()};
  std::string client = records(client_hello(), 20);  // many small records
  for (size_t i = 0; i < client.size(); i += 7) h.a(client.substr(i, 7), 100);
  h.b(records(server_hello(false), 1000) + std::string("\x14\x03\x03\x00\x01\x01", 6), 400);
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(str(e.request, "sni"), "example.com");
  EXPECT_EQ(str(e.request, "version"), "TLS 1.2");
  EXPECT_EQ(str(*e.response, "version"), "TLS 1.3");
  EXPECT_EQ(str(*e.response, "cipherSuite"), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(testing::num(e.request, "cipherSuites"), 4);
  EXPECT_DOUBLE_EQ(e.elapsed_ms, 0.3);
  EXPECT_EQ(e.error, "");
}

TEST(Tls, HelloRetryRequestIsOneHandshake) {
  DissectorHarness h{tls_protocol()};
  h.a(records(client_hello(), 4000));
  h.b(records(server_hello(true), 4000));
  h.a(records(client_hello(), 4000));
  h.b(records(server_hello(false), 4000));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].response->find("helloRetryRequest")->dump(), "true");
}

TEST(Tls, ClientHelloWithoutAnswer) {
  DissectorHarness h{tls_protocol()};
  h.a(records(client_hello(), 4000));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "no response");
}

TEST(Tls, Probe) {
  auto probe = tls_protocol().probe;
  std::string rec = records(client_hello(), 4000);
  EXPECT_EQ(probe(testing::bytes(rec), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(probe(testing::bytes(rec.substr(0, 4)), Direction::kAtoB), Probe::kMaybe);
  EXPECT_EQ(probe(testing::bytes("GET / HTTP/1.1"), Direction::kAtoB), Probe::kNo);
}

// JA3 and JA4 as Arkime's test suite expects them for its captures.
TEST(Tls, FingerprintsMatchArkimeOnRealCaptures) {
  auto dir = testing::shared_pcaps();
  if (dir.empty()) GTEST_SKIP() << "../shared/pcaps not present";
  struct Case {
    const char* capture;
    const char* ja3;
    const char* ja4;
  } cases[] = {
      {"tls/arkime__tls-alpn-h2.pcap", "3faa4ad39f690c4ef1c3160caa375465",
       "t12d4605h2_85626a9a5f7f_aaf95bb78ec9"},
      {"tls/arkime__tls-split-client-hello.pcap", "35708a08e7be9f7aa5bce7f2d5c1cecb",
       "t13d1516h2_8daaf6152771_02713d6af862"},
  };
  for (const auto& c : cases) {
    testing::CapturingSink sink;
    Pipeline pipeline(sink);
    PcapSource source((dir / c.capture).string());
    Frame f;
    while (source.next(f)) pipeline.add(f);
    pipeline.finish();
    int found = 0;
    for (const auto& e : sink.entries) {
      if (e.protocol != "tls") continue;
      ++found;
      EXPECT_EQ(str(e.request, "ja3"), c.ja3) << c.capture;
      EXPECT_EQ(str(e.request, "ja4"), c.ja4) << c.capture;
    }
    EXPECT_EQ(found, 1) << c.capture;
  }
}

}  // namespace
}  // namespace trawl
