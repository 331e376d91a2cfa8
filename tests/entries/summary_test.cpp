// One summary per entry, the same for the CLI table and the dashboard.
#include "entries/summary.h"

#include <gtest/gtest.h>

#include "entries/json_parse.h"
#include "tests/support.h"

namespace trawl {
namespace {

Entry entry(std::string protocol, std::string_view request, std::string_view response = "") {
  Entry e;
  e.protocol = std::move(protocol);
  EXPECT_TRUE(parse_json(request, e.request)) << request;
  if (!response.empty()) {
    e.response.emplace();
    EXPECT_TRUE(parse_json(response, *e.response)) << response;
  }
  return e;
}

TEST(Summary, OneLinePerProtocol) {
  EXPECT_EQ(entry_summary(entry("http", R"({"method":"GET","url":"/a?b=1"})")), "GET /a?b=1");
  EXPECT_EQ(entry_summary(entry("http", R"({})", R"({"status":200})")), "(response only)");
  EXPECT_EQ(entry_summary(entry("dns", R"({"questions":[{"name":"a.test","type":"AAAA"}]})")),
            "AAAA a.test");
  EXPECT_EQ(entry_summary(entry("redis", R"({"command":"GET","key":"k1"})")), "GET k1");
  EXPECT_EQ(entry_summary(entry("tls", R"({"sni":"api.test"})")), "ClientHello api.test");
  EXPECT_EQ(entry_summary(entry("tcp", R"({"state":"closed","packets":6,"l7":["http"]})",
                                R"({"packets":4})")),
            "closed 6+4 pkts http");
  EXPECT_EQ(entry_summary(entry("udp", R"({"packets":1,"l7":[]})")), "1+0 pkts");
  EXPECT_EQ(entry_summary(entry("sctp", R"({"packets":2,"l7":["http","dns"]})")),
            "2+0 pkts http,dns");
}

// Redis writes its request as JSON text: the summary reads it all the same.
TEST(Summary, ReadsFieldsWrittenAsText) {
  Entry e;
  e.protocol = "redis";
  e.request = Json::raw(R"({"command":"SET","args":["k","v"],"key":"k"})");
  EXPECT_EQ(entry_summary(e), "SET k");
}

TEST(Summary, ServedBesideTheEntry) {
  Entry e = entry("http", R"({"method":"GET","url":"/x"})");
  e.id = 7;
  std::string out;
  write_served_entry_json(out, e);
  Json parsed;
  ASSERT_TRUE(parse_json(out, parsed));
  EXPECT_EQ(parsed.find("summary")->str(), "GET /x");
  EXPECT_EQ(parsed.find("id")->str(), "7");
}

}  // namespace
}  // namespace trawl
