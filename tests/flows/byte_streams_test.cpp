// A byte-stream source (eBPF TLS plaintext) through the pipeline: its
// connections are dissected as TCP's are, numbered from their own stream range,
// and take the same stages and ids as the packets' entries.
#include "flows/byte_streams.h"

#include <gtest/gtest.h>

#include <set>

#include "capture/pcap_source.h"
#include "pipeline/pipeline.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;

const EntryEndpoint kClient{"10.1.0.7", 51000}, kServer{"10.1.0.9", 8443};

PipelineSettings tls_source() {
  PipelineSettings s;
  s.byte_streams.tls = true;
  s.byte_streams.source = "ebpf_tls";
  return s;
}

TEST(ByteStreams, ConnectionsAreDissectedAndMarked) {
  testing::CapturingSink sink;
  Pipeline pipeline(sink, tls_source());
  ByteStreams& streams = pipeline.byte_streams();
  streams.open(77, kClient, kServer, 1'000'000);
  streams.data(77, Direction::kAtoB, bytes("GET /v1/orders HTTP/1.1\r\nHost: shop\r\n\r\n"),
               1'000'100);
  streams.data(77, Direction::kBtoA, bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
               1'002'100);
  streams.open(78, kClient, {"10.1.0.10", 6380}, 1'003'000);
  streams.data(78, Direction::kAtoB, bytes("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), 1'003'100);
  streams.data(78, Direction::kBtoA, bytes("$1\r\nv\r\n"), 1'003'200);
  streams.close(77, 1'004'000);
  EXPECT_EQ(streams.open_connections(), 1u);
  pipeline.finish();
  EXPECT_EQ(streams.open_connections(), 0u);
  ASSERT_EQ(sink.entries.size(), 2u);
  const Entry& http = sink.entries[0];
  EXPECT_EQ(http.protocol, "http");
  EXPECT_EQ(http.id, 1u);
  EXPECT_EQ(http.src.ip, "10.1.0.7");
  EXPECT_EQ(http.dst.port, 8443);
  EXPECT_TRUE(http.tls);
  EXPECT_TRUE(http.error.empty()) << http.error;
  EXPECT_EQ(http.elapsed_ms, 2.0);
  EXPECT_EQ(http.stream, std::to_string(ByteStreams::kFirstStreamId));
  ASSERT_TRUE(http.context.get(ContextField::kCaptureSource));
  EXPECT_EQ(http.context.get(ContextField::kCaptureSource)->str(), "ebpf_tls");
  const Entry& redis = sink.entries[1];
  EXPECT_EQ(redis.protocol, "redis");
  EXPECT_EQ(redis.id, 2u);
  EXPECT_EQ(redis.stream, std::to_string(ByteStreams::kFirstStreamId + 1));
  EXPECT_EQ(pipeline.stats().find("entries")->find("total")->integer(), 2);
}

// Packets and byte streams in one pipeline: their stream ids never meet.
TEST(ByteStreams, StreamIdsDoNotMeetThoseOfPackets) {
  testing::CapturingSink sink;
  Pipeline pipeline(sink, tls_source());
  PcapSource source(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
  Frame f;
  while (source.next(f)) pipeline.add(f);
  pipeline.byte_streams().data(5, Direction::kAtoB, bytes("*1\r\n$4\r\nPING\r\n"), 1);
  pipeline.byte_streams().data(5, Direction::kBtoA, bytes("+PONG\r\n"), 2);
  pipeline.finish();
  std::set<std::string> packet_streams, byte_streams;
  for (const Entry& e : sink.entries)
    if (e.protocol != "icmp")  // ICMP's streams are named by their addresses
      (e.tls ? byte_streams : packet_streams).insert(e.stream);
  ASSERT_EQ(byte_streams.size(), 1u);
  EXPECT_GT(packet_streams.size(), 10u);
  for (const std::string& s : packet_streams) {
    EXPECT_LT(std::stoull(s), ByteStreams::kFirstStreamId) << s;
    EXPECT_FALSE(byte_streams.count(s));
  }
  EXPECT_EQ(sink.entries.size(), 45u);  // demo.pcap's 44 and the PING
}

// A source that never closes its connections cannot grow them without bound.
TEST(ByteStreams, TheOldestConnectionGoesPastTheLimit) {
  testing::CapturingSink sink;
  DissectCounters counters;
  DissectorSettings dissect;
  ByteStreamSettings settings;
  settings.max_connections = 2;
  ByteStreams streams(sink, counters, dissect, settings);
  for (uint64_t id = 1; id <= 5; ++id) {
    streams.open(id, kClient, kServer, int64_t(id));
    streams.data(id, Direction::kAtoB, bytes("GET /" + std::to_string(id) + " HTTP/1.1\r\n\r\n"),
                 int64_t(id));
  }
  EXPECT_EQ(streams.open_connections(), 2u);
  EXPECT_EQ(streams.evicted(), 3u);
  // The three evicted requests went out unanswered, oldest first.
  ASSERT_EQ(sink.entries.size(), 3u);
  EXPECT_EQ(sink.entries[0].request.find("path")->str(), "/1");
  EXPECT_EQ(sink.entries[2].request.find("path")->str(), "/3");
  EXPECT_EQ(sink.entries[0].error, "no response");
  // An id the source reuses is a new connection.
  streams.open(4, kClient, kServer, 9);
  EXPECT_EQ(sink.entries.size(), 4u);
  streams.finish();
  EXPECT_EQ(sink.entries.size(), 5u);
  EXPECT_FALSE(sink.entries[0].tls);  // not a TLS source: nothing marked
  EXPECT_TRUE(sink.entries[0].context.empty());
}

}  // namespace
}  // namespace trawl
