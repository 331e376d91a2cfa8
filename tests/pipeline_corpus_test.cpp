// The pipeline on real captures: the project's demo capture and ../shared/pcaps.
#include <gtest/gtest.h>

#include <filesystem>

#include "capture/pcap_source.h"
#include "pipeline/pipeline.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::num;
using testing::str;

std::vector<Entry> read_all(const std::filesystem::path& path, const std::string& protocol) {
  testing::CapturingSink sink;
  Pipeline pipeline(sink);
  PcapSource source(path.string());
  Frame f;
  while (source.next(f)) pipeline.add(f);
  pipeline.finish();
  std::vector<Entry> out;
  for (auto& e : sink.entries)
    if (e.protocol == protocol) out.push_back(std::move(e));
  return out;
}

TEST(Corpus, ZeekPipelinedRequestsPairInOrder) {
  auto dir = testing::shared_pcaps();
  if (dir.empty()) GTEST_SKIP() << "../shared/pcaps not present";
  auto http = read_all(dir / "http1/zeek__http_pipelined-requests.pcap", "http");
  ASSERT_EQ(http.size(), 5u);
  EXPECT_EQ(str(http[0].request, "url"), "/style/enhanced.css");
  EXPECT_EQ(str(http[4].request, "url"), "/projects/calendar/images/header-sunbird.png");
  for (const auto& e : http) {
    EXPECT_EQ(num(*e.response, "status"), 200);
    EXPECT_EQ(str(e.request, "host"), "www.mozilla.org");
    EXPECT_EQ(e.error, "");
  }
  EXPECT_EQ(str(*http[0].response->find("headers"), "content-type"), "text/css");
}

TEST(Corpus, GzipBodyIsDecoded) {
  auto dir = testing::shared_pcaps();
  if (dir.empty()) GTEST_SKIP() << "../shared/pcaps not present";
  auto http = read_all(dir / "http1/arkime__http-content-gzip.pcap", "http");
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(str(*http[0].response->find("headers"), "content-encoding"), "gzip");
  EXPECT_NE(str(*http[0].response, "body").find("cross-domain-policy"), std::string::npos);
}

TEST(Corpus, DnsOverTcp) {
  auto dir = testing::shared_pcaps();
  if (dir.empty()) GTEST_SKIP() << "../shared/pcaps not present";
  auto dns = read_all(dir / "dns/arkime__dns-tcp.pcap", "dns");
  ASSERT_EQ(dns.size(), 2u);
  for (const auto& e : dns) {
    EXPECT_EQ(e.layer4, "tcp");
    ASSERT_TRUE(e.response);
    EXPECT_EQ(e.error, "");
  }
}

TEST(Corpus, DemoCaptureHasEveryProtocol) {
  std::filesystem::path demo = std::filesystem::path(TRAWL_SOURCE_DIR) / "fixtures/demo.pcap";
  for (const char* p : {"http", "dns", "tls", "icmp", "tcp", "udp"})
    EXPECT_FALSE(read_all(demo, p).empty()) << p;
  auto tls = read_all(demo, "tls");
  EXPECT_EQ(str(tls[0].request, "sni"), "tls.trawl.test");
}

}  // namespace
}  // namespace trawl
