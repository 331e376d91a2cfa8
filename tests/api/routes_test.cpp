#include "api/routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "entries/json_parse.h"
#include "pipeline/pipeline.h"

namespace trawl::api {
namespace {

// A worker holding the project's demo capture (44 entries) in a temporary store.
struct DemoWorker {
  std::string dir;
  std::unique_ptr<Worker> worker;
  DemoWorker() {
    char tmpl[] = "/tmp/trawl-api-XXXXXX";
    dir = mkdtemp(tmpl);
    WorkerSettings s;
    s.data_dir = dir;
    worker = std::make_unique<Worker>(s);
    worker->ingest_file(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
  }
  ~DemoWorker() {
    worker.reset();
    std::filesystem::remove_all(dir);
  }
  Reply get(std::string_view target) {
    Target t;
    EXPECT_TRUE(Target::parse(target, t)) << target;
    return handle_get(*worker, t);
  }
  Json json(std::string_view target, int status = 200) {
    Reply r = get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    Json j;
    EXPECT_TRUE(parse_json(r.body, j)) << r.body;
    return j;
  }
};

TEST(ApiTarget, SplitsPathAndDecodesParameters) {
  Target t;
  ASSERT_TRUE(
      Target::parse("/api/entries?q=http%20and%20request.path%20%3D%3D%20%22%2Fa%22&limit=5&x", t));
  EXPECT_EQ(t.path, "/api/entries");
  EXPECT_EQ(t.params["q"], R"(http and request.path == "/a")");
  EXPECT_EQ(t.params["limit"], "5");
  EXPECT_EQ(t.params.count("x"), 1u);
  ASSERT_TRUE(Target::parse("/api/validate?q=a+b", t));
  EXPECT_EQ(t.params["q"], "a b");
  EXPECT_FALSE(Target::parse("api/entries", t));
  EXPECT_FALSE(Target::parse("/api/entries?q=%zz", t));
  EXPECT_FALSE(Target::parse("/api/entries?q=%2", t));
}

TEST(Api, EntriesPageNewestFirstWithACursor) {
  DemoWorker w;
  Json first = w.json("/api/entries?limit=5");
  ASSERT_EQ(first.find("entries")->size(), 5u);
  EXPECT_EQ(first.find("entries")->items()[0].find("id")->str(), "44");
  ASSERT_TRUE(first.find("next"));
  EXPECT_EQ(first.find("next")->str(), "40");
  Json second = w.json("/api/entries?limit=5&before=40");
  EXPECT_EQ(second.find("entries")->items()[0].find("id")->str(), "39");
  // The last page has no cursor.
  Json last = w.json("/api/entries?limit=10&before=5");
  EXPECT_EQ(last.find("entries")->size(), 4u);
  EXPECT_FALSE(last.find("next"));
  Json after = w.json("/api/entries?after=40");
  EXPECT_EQ(after.find("entries")->size(), 4u);
}

TEST(Api, EntriesFilteredByKflUseTheIndexAndTheQuery) {
  DemoWorker w;
  Json dns = w.json("/api/entries?q=dns");
  EXPECT_EQ(dns.find("count")->integer(), 5);
  // The protocol bound skipped nothing here (one block) but every entry visited is DNS.
  for (const Json& e : dns.find("entries")->items())
    EXPECT_EQ(e.find("protocol")->find("name")->str(), "dns");
  Json nf = w.json(
      "/api/entries?q="
      "http%20and%20response.status%20%3D%3D%20404");
  ASSERT_GE(nf.find("count")->integer(), 1);
  for (const Json& e : nf.find("entries")->items())
    EXPECT_EQ(e.find("response")->find("status")->integer(), 404);
  Json limited = w.json("/api/entries?q=limit(2)");
  EXPECT_EQ(limited.find("count")->integer(), 2);
  Json redacted = w.json("/api/entries?q=http%20and%20redact(%22request.headers%22)&limit=1");
  EXPECT_EQ(redacted.find("entries")->items()[0].find("request")->find("headers")->str(),
            "[REDACTED]");
}

TEST(Api, BadRequestsSayWhatIsWrong) {
  DemoWorker w;
  Json bad = w.json("/api/entries?q=http%20and", 400);
  EXPECT_EQ(bad.find("column")->integer(), 9);
  EXPECT_NE(bad.find("error")->str().find("expected"), std::string::npos);
  EXPECT_EQ(w.get("/api/entries?limit=0").status, 400);
  EXPECT_EQ(w.get("/api/entries?limit=abc").status, 400);
  EXPECT_EQ(w.get("/api/entries?before=-1").status, 400);
  EXPECT_EQ(w.get("/api/entries/xyz").status, 400);
  EXPECT_EQ(w.get("/api/entries/4444").status, 404);
  EXPECT_EQ(w.get("/api/nothing").status, 404);
  Json v = w.json("/api/validate?q=(http");
  EXPECT_EQ(v.find("valid")->boolean(), false);
  EXPECT_EQ(w.json("/api/validate?q=http").dump(), R"({"valid":true})");
}

TEST(Api, OneEntryItsPcapStatsAndMetrics) {
  DemoWorker w;
  Json e = w.json("/api/entries/3");
  EXPECT_EQ(e.find("id")->str(), "3");
  Reply pcap = w.get("/api/entries/3/pcap");
  ASSERT_EQ(pcap.status, 200) << pcap.body;
  EXPECT_EQ(pcap.content_type, "application/vnd.tcpdump.pcap");
  ASSERT_GE(pcap.body.size(), 24u);
  EXPECT_EQ(pcap.body.substr(0, 4), std::string("\xd4\xc3\xb2\xa1", 4));
  Json stats = w.json("/api/stats");
  EXPECT_EQ(stats.find("entries")->find("total")->integer(), 44);
  EXPECT_EQ(stats.find("store")->find("entries")->integer(), 44);
  EXPECT_EQ(stats.find("loss")->find("tcp_gaps")->integer(), 0);
  Reply metrics = w.get("/metrics");
  EXPECT_NE(metrics.body.find("trawl_entries_total{protocol=\"http\"} 12"), std::string::npos);
  EXPECT_NE(
      metrics.body.find("trawl_latency_milliseconds_bucket{protocol=\"http\",le=\"+Inf\"} 12"),
      std::string::npos);
  EXPECT_EQ(w.get("/healthz").body, "ok\n");
}

// Every counter the pipeline declares is in /api/stats at its section and key,
// and those with a Prometheus name are in /metrics with the same value, once.
TEST(Api, DeclaredCountersAreInStatsAndMetrics) {
  DemoWorker w;
  Json stats = w.json("/api/stats");
  std::string metrics = w.get("/metrics").body;
  std::vector<CounterMetric> declared = Worker::counter_metrics();
  ASSERT_GE(declared.size(), 20u);
  std::set<std::string_view> names;
  for (const CounterMetric& m : declared) {
    EXPECT_TRUE(names.insert(m.metric).second) << m.metric << " declared twice";
    EXPECT_TRUE(m.metric.starts_with("trawl_")) << m.metric;
    const Json* section = stats.find(m.section);
    const Json* value = section ? section->find(m.key) : nullptr;
    ASSERT_TRUE(value && value->is_int()) << m.section << "." << m.key;
    std::string line = "\n" + std::string(m.metric) + " " + std::to_string(value->integer()) + "\n";
    EXPECT_NE(metrics.find(line), std::string::npos) << line;
    std::string type = "# TYPE " + std::string(m.metric) +
                       (m.metric.ends_with("_total") ? " counter\n" : " gauge\n");
    size_t first = metrics.find(type);
    EXPECT_NE(first, std::string::npos) << m.metric;
    EXPECT_EQ(metrics.find(type, first + 1), std::string::npos) << m.metric << " written twice";
  }
  EXPECT_NE(metrics.find("\ntrawl_packets_total 188\n"), std::string::npos);
  EXPECT_NE(metrics.find("\ntrawl_tcp_flows_total 15\n"), std::string::npos);
  EXPECT_NE(metrics.find("\n# TYPE trawl_store_entries gauge\ntrawl_store_entries 44\n"),
            std::string::npos);
}

// The API's counters come from one list: each key in /api/stats, and each
// Prometheus counter the sum of the counters that name it, written once.
TEST(Api, ApiCountersFromOneList) {
  ApiCounters c;
  c.forbidden = 2;
  c.unauthorized = 3;
  c.queries_rejected = 4;
  c.slow_clients_cut = 5;
  c.stream_clients_cut = 6;
  c.queries_timed_out = 7;
  c.connections = 9;
  Json j = c.to_json();
  EXPECT_EQ(j.find("forbidden")->integer(), 2);
  EXPECT_EQ(j.find("connections")->integer(), 9);
  EXPECT_EQ(j.fields().size(), 12u);
  std::string m;
  c.write_metrics(m);
  EXPECT_NE(m.find("\ntrawl_api_refused_total 9\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\ntrawl_api_slow_clients_cut_total 11\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\ntrawl_api_queries_timed_out_total 7\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("# TYPE trawl_api_refused_total counter"),
            m.rfind("# TYPE trawl_api_refused_total counter"));
  EXPECT_EQ(m.find("connections 9"), std::string::npos);  // a gauge of its own, not a metric
}

}  // namespace
}  // namespace trawl::api
