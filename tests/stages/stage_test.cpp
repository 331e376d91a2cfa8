// Entry stages: in order, before ids; what they drop is counted, never numbered.
#include "stages/stage.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "capture/pcap_source.h"
#include "pipeline/pipeline.h"
#include "stages/query_stages.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::str;

// Writes its mark into `log`; drops entries whose protocol is `drop`.
class MarkingStage : public EntryStage {
 public:
  MarkingStage(std::string* log, std::string mark, std::string drop)
      : log_(log), mark_(mark), drop_(drop) {}
  bool process(Entry& e) override {
    *log_ += mark_;
    return e.protocol != drop_;
  }

 private:
  std::string* log_;
  std::string mark_, drop_;
};

TEST(StageList, RunsInOrderAndStopsAtTheStageThatDrops) {
  std::string log;
  auto marking = [&log](std::string mark, std::string drop = "") {
    return StageSpec{
        mark, [&log, mark, drop] { return std::make_unique<MarkingStage>(&log, mark, drop); }};
  };
  StageList list({marking("a"), marking("b", "dns"), marking("c")});
  Entry http, dns;
  http.protocol = "http";
  dns.protocol = "dns";
  EXPECT_TRUE(list.run(http));
  EXPECT_EQ(log, "abc");
  log.clear();
  EXPECT_FALSE(list.run(dns));
  EXPECT_EQ(log, "ab");
  Json stats = Json::object();
  list.add_stats(stats);
  EXPECT_EQ(stats.dump(), R"({"dropped_by_a":0,"dropped_by_b":1,"dropped_by_c":0})");
}

std::vector<Entry> read_demo(const PipelineSettings& settings, Json* stats = nullptr) {
  testing::CapturingSink sink;
  Pipeline pipeline(sink, settings);
  PcapSource source(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
  Frame f;
  while (source.next(f)) pipeline.add(f);
  pipeline.finish();
  if (stats) *stats = pipeline.stats();
  return std::move(sink.entries);
}

// Dropped entries never take an id: the kept ones are numbered 1..n.
TEST(Stages, KeepDropsBeforeIdsAndCounts) {
  PipelineSettings settings;
  settings.stages = {keep_stage("dns or tls")};
  Json stats;
  std::vector<Entry> kept = read_demo(settings, &stats);
  std::vector<Entry> all = read_demo({});
  size_t expected = 0;
  for (const Entry& e : all) expected += e.protocol == "dns" || e.protocol == "tls";
  ASSERT_EQ(kept.size(), expected);
  ASSERT_GT(expected, 0u);
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].id, i + 1);
    EXPECT_TRUE(kept[i].protocol == "dns" || kept[i].protocol == "tls");
  }
  const Json& entries = *stats.find("entries");
  EXPECT_EQ(entries.find("total")->integer(), int64_t(expected));
  EXPECT_EQ(entries.find("dropped_by_keep")->integer(), int64_t(all.size() - expected));
}

TEST(Stages, RedactReplacesFieldsBeforeAnyOutput) {
  PipelineSettings settings;
  settings.stages = {redact_stage({"request.headers[\"user-agent\"]", "response.body"})};
  size_t agents = 0, bodies = 0;
  for (const Entry& e : read_demo(settings)) {
    if (e.protocol != "http") continue;
    const Json* headers = e.request.find("headers");
    if (const Json* agent = headers ? headers->find("user-agent") : nullptr) {
      EXPECT_EQ(agent->str(), "[REDACTED]");
      ++agents;
    }
    if (e.response && e.response->find("body")) {
      EXPECT_EQ(str(*e.response, "body"), "[REDACTED]");
      ++bodies;
    }
  }
  EXPECT_GT(agents, 0u);
  EXPECT_GT(bodies, 0u);
}

TEST(Stages, QueriesThatCannotWorkBeforeIdsAreRefused) {
  auto problem = [](auto make) {
    try {
      make();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(problem([] { keep_stage("http and"); }), "1:9: expected an expression after 'and'");
  EXPECT_NE(problem([] { keep_stage("http and limit(3)"); }), "");
  EXPECT_NE(problem([] { keep_stage("id > 5"); }), "");
  EXPECT_NE(problem([] { redact_stage({"request.headers.user-agent"}); }), "");
  EXPECT_EQ(problem([] { redact_stage({"request.headers[\"x-token\"]"}); }), "");
}

}  // namespace
}  // namespace trawl
