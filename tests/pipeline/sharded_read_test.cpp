// trawl read on several threads: the same entries, in the same order, with the
// same ids and counters as one pipeline, whatever the number of threads.
#include "pipeline/sharded_read.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "capture/pcap_source.h"
#include "query/kfl.h"
#include "sinks/filter_sink.h"
#include "sinks/sinks.h"
#include "tests/support.h"

namespace trawl {
namespace {

struct Output {
  std::string jsonl;
  Json stats;
};

Output read_single(const std::string& path, std::string_view filter = {}) {
  std::FILE* f = std::tmpfile();
  Output out;
  {
    JsonlSink jsonl(f);
    kfl::CompileError error;
    auto query = kfl::Query::compile(filter, error);
    FilterSink sink(*query, jsonl);
    Pipeline pipeline(sink);
    PcapSource source(path);
    Frame frame;
    while (source.next(frame)) pipeline.add(frame);
    pipeline.finish();
    out.stats = pipeline.stats();
  }
  std::rewind(f);
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.jsonl.append(buf, n);
  std::fclose(f);
  return out;
}

Output read_sharded(const std::string& path, uint32_t threads, ShardedReadResult* result = nullptr,
                    const ShardedReadLimits& limits = {}, std::string_view filter = {}) {
  std::FILE* f = std::tmpfile();
  ShardedReadResult r = sharded_read(path, threads, PipelineSettings{}, f, filter, limits);
  std::rewind(f);
  Output out;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.jsonl.append(buf, n);
  std::fclose(f);
  out.stats = r.stats;
  if (result) *result = r;
  return out;
}

void expect_same(const std::string& path) {
  Output one = read_single(path);
  for (uint32_t threads : {2u, 3u}) {
    ShardedReadResult r;
    Output many = read_sharded(path, threads, &r);
    EXPECT_EQ(many.jsonl, one.jsonl) << path << " on " << threads << " threads";
    EXPECT_EQ(many.stats.dump(), one.stats.dump()) << path << " on " << threads << " threads";
    EXPECT_EQ(r.bytes, one.jsonl.size());
    EXPECT_EQ(r.entries, size_t(std::count(one.jsonl.begin(), one.jsonl.end(), '\n')));
    EXPECT_EQ(r.output_error, "");
  }
}

TEST(ShardedRead, DemoCaptureAsOnePipelineGivesIt) {
  expect_same(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
}

TEST(ShardedRead, EveryCorpusCaptureAsOnePipelineGivesIt) {
  auto dir = testing::shared_pcaps();
  if (dir.empty()) GTEST_SKIP() << "../shared/pcaps not present";
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    try {
      PcapSource probe(e.path().string());
      Decoder::check_link_type(probe.link_type());
    } catch (const std::exception&) {
      continue;  // a capture trawl refuses is refused the same way (the CLI tests)
    }
    expect_same(e.path().string());
    ++files;
  }
  EXPECT_GT(files, 50u);
}

// A filter keeps what one pipeline's filter keeps, redacted alike, and every
// entry keeps the id it has among all entries.
TEST(ShardedRead, FilteredAsOnePipelineFiltersIt) {
  std::vector<std::string> captures = {std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap"};
  if (auto dir = testing::shared_pcaps(); !dir.empty()) {
    captures.push_back((dir / "redis/tcpdump__resp_3_malicious.pcap").string());
    captures.push_back((dir / "kafka/ndpi__kafka.pcapng").string());
  }
  for (const std::string& path : captures) {
    for (std::string_view filter :
         {"http", "dns or tcp", "response.status >= 400 or redis", "not http",
          "http and redact(\"request.headers.host\")", "protocol.name == \"nothing\""}) {
      Output one = read_single(path, filter);
      ShardedReadResult r;
      Output two = read_sharded(path, 2, &r, {}, filter);
      EXPECT_EQ(two.jsonl, one.jsonl) << path << ": " << filter;
      EXPECT_EQ(r.entries, size_t(std::count(one.jsonl.begin(), one.jsonl.end(), '\n')));
    }
  }
  // The filter selects something on the demo capture, and not everything.
  Output all = read_single(captures[0]), http = read_single(captures[0], "http");
  EXPECT_GT(http.jsonl.size(), 0u);
  EXPECT_LT(http.jsonl.size(), all.jsonl.size());
}

TEST(ShardedRead, CountingWritesNothingAndCountsTheSame) {
  std::string path = std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap";
  Output one = read_single(path);
  ShardedReadResult r = sharded_read(path, 2, PipelineSettings{}, nullptr);
  EXPECT_EQ(r.bytes, one.jsonl.size());
  Output http = read_single(path, "http");
  r = sharded_read(path, 2, PipelineSettings{}, nullptr, "http");
  EXPECT_EQ(r.bytes, http.jsonl.size());
  EXPECT_GT(r.entries, 0u);
}

TEST(ShardedRead, MissingOrEmptyFileIsAnError) {
  EXPECT_THROW(sharded_read("/nonexistent.pcap", 2, PipelineSettings{}, nullptr),
               std::runtime_error);
  testing::TempDir dir;
  std::string empty = dir.path + "/empty.pcap";
  std::ofstream(empty).close();
  EXPECT_THROW(sharded_read(empty, 2, PipelineSettings{}, nullptr), std::runtime_error);
}

// A classic pcap of IPv4/TCP frames, written by hand.
class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
    put32(0xA1B2C3D4);
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(262144);
    put32(1);  // Ethernet
  }
  void tcp(uint8_t client, bool from_client, uint32_t seq, uint8_t flags, std::string_view data,
           int64_t ts_us) {
    std::string f;
    auto be16 = [&](uint16_t v) { f += char(v >> 8), f += char(v); };
    auto be32 = [&](uint32_t v) { be16(uint16_t(v >> 16)), be16(uint16_t(v)); };
    f.append(12, '\0');
    be16(0x0800);
    uint8_t src = from_client ? client : 1, dst = from_client ? 1 : client;
    uint16_t sport = from_client ? uint16_t(40000 + client) : 8080,
             dport = from_client ? 8080 : uint16_t(40000 + client);
    be16(0x4500);
    be16(uint16_t(40 + data.size()));
    be32(0);
    be16(0x4006);
    be16(0);
    be32(0x0A000000u | src);
    be32(0x0A000000u | dst);
    be16(sport);
    be16(dport);
    be32(seq);
    be32(0);
    be16(uint16_t(0x5000 | flags));
    be16(65535);
    be32(0);
    f += data;
    put32(uint32_t(ts_us / 1000000));
    put32(uint32_t(ts_us % 1000000));
    put32(uint32_t(f.size()));
    put32(uint32_t(f.size()));
    out_ << f;
  }

 private:
  void put16(uint16_t v) { out_.write(reinterpret_cast<const char*>(&v), 2); }
  void put32(uint32_t v) { out_.write(reinterpret_cast<const char*>(&v), 4); }
  std::ofstream out_;
};

// One thread's flow is all bulk bytes with no entries, the other's many small
// HTTP exchanges: the first runs far ahead of the second and must wait for it,
// while the second fills the writer's queue and the writer waits on the first
// (for its word that nothing earlier is coming). Nothing may deadlock or be lost.
TEST(ShardedRead, AThreadFarAheadWaitsWithoutDeadlock) {
  testing::TempDir dir;
  std::string path = dir.path + "/lopsided.pcap";
  {
    PcapWriter w(path);
    const std::string bulk(60000, 'x');
    const std::string request = "GET /item HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'b');
    uint32_t bulk_seq = 1, req_seq = 1, resp_seq = 1;
    int64_t ts = 1'000'000;
    w.tcp(2, true, 0, 0x02, "", ts);  // bulk flow first: round-robin puts it on thread 0
    w.tcp(3, true, 0, 0x02, "", ts);
    // The exchanges first, then 24 MB of bulk: thread 0 skips the exchanges and
    // races through the bulk while thread 1 is still dissecting them. Thread 0
    // last tells the writer how far it is 4,000 frames before the exchanges
    // end, and 2,000 entries (5 MB) follow.
    for (int i = 0; i < 4048; ++i, ts += 10) {
      w.tcp(3, true, req_seq, 0x18, request, ts);
      req_seq += uint32_t(request.size());
      w.tcp(3, false, resp_seq, 0x18, response, ts + 5);
      resp_seq += uint32_t(response.size());
    }
    for (int i = 0; i < 400; ++i, ts += 10) {
      w.tcp(2, true, bulk_seq, 0x18, bulk, ts);
      bulk_seq += uint32_t(bulk.size());
    }
  }
  Output one = read_single(path);
  ShardedReadResult r;
  ShardedReadLimits small;  // so that a small capture reaches both limits
  small.pending_bytes = 1 << 20;
  small.ahead_bytes = 8 << 20;
  Output two = read_sharded(path, 2, &r, small);
  EXPECT_EQ(two.jsonl, one.jsonl);
  EXPECT_GE(r.entries, 4048u);
  EXPECT_GT(r.reader_waits, 0u) << "the lopsided capture did not make a thread wait";
}

}  // namespace
}  // namespace trawl
