#include "flows/flow_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;
using testing::num;
using testing::str;

IpAddress ip4(uint8_t last) {
  IpAddress a;
  a.bytes[0] = 10;
  a.bytes[3] = last;
  return a;
}

class FlowTableTest : public ::testing::Test {
 protected:
  Packet tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, std::string_view data,
             int64_t ts) {
    Packet p;
    p.timestamp_us = ts;
    p.protocol = kTcp;
    p.src = from_client ? ip4(1) : ip4(2);
    p.dst = from_client ? ip4(2) : ip4(1);
    p.src_port = from_client ? client_port : server_port;
    p.dst_port = from_client ? server_port : client_port;
    p.seq = seq;
    p.ack = ack;
    p.tcp_flags = flags;
    p.payload = bytes(data);
    p.wire_length = 54 + data.size();
    return p;
  }
  // As a pipeline gives them: each frame's number is the id of a flow it starts.
  void add(Packet p) {
    p.new_stream_id = ++frames;
    table.add(p);
  }
  uint64_t frames = 0;
  std::vector<const Entry*> of(std::string_view proto) {
    std::vector<const Entry*> out;
    for (const auto& e : sink.entries)
      if (e.protocol == proto) out.push_back(&e);
    return out;
  }

  uint16_t client_port = 40000, server_port = 12345;  // HTTP on an unusual port
  testing::CapturingSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  FlowTable table{sink, counters, settings};
};

TEST_F(FlowTableTest, HttpFoundByContentWithBothDirectionsInterleaved) {
  add(tcp(true, kSyn, 100, 0, "", 1));
  add(tcp(false, kSyn | kAck, 500, 101, "", 2));
  add(tcp(true, kAck, 101, 501, "", 3));
  add(tcp(true, kAck | kPsh, 101, 501, "GET /a HTTP/1.1\r\nHost: x\r\n", 4));
  add(tcp(false, kAck, 501, 127, "", 5));
  add(tcp(true, kAck | kPsh, 127, 501, "\r\n", 6));
  add(tcp(false, kAck | kPsh, 501, 129, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 7));
  add(tcp(true, kAck | kFin, 129, 539, "", 8));
  add(tcp(false, kAck | kFin, 539, 130, "", 9));
  table.finish();
  auto http = of("http");
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(str(http[0]->request, "url"), "/a");
  EXPECT_EQ(num(*http[0]->response, "status"), 200);
  EXPECT_EQ(http[0]->dst.port, 12345);
  EXPECT_EQ(http[0]->timestamp_us, 4);
  EXPECT_DOUBLE_EQ(http[0]->elapsed_ms, 0.003);
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(str(flows[0]->request, "state"), "closed");
  EXPECT_EQ(num(flows[0]->request, "packets"), 5);
  EXPECT_EQ(num(flows[0]->response.value(), "packets"), 4);
  EXPECT_EQ(flows[0]->request.find("l7")->dump(), R"(["http"])");
  EXPECT_EQ(flows[0]->stream, http[0]->stream);
}

// Flows whose ports share a slot of recent flows (40000 and 40064 with 12345),
// and one with the same ports from another address, interleaved packet by
// packet: each packet still goes to its own flow.
TEST_F(FlowTableTest, FlowsSharingARecentSlotAreToldApart) {
  struct Client {
    uint8_t ip;
    uint16_t port;
    std::string path;
    uint32_t seq[2] = {1, 1};  // the next byte each way
  };
  Client clients[] = {{1, 40000, "/a"}, {1, 40064, "/b"}, {3, 40000, "/c"}};
  auto packet = [&](Client& c, bool from_client, const std::string& data, int64_t ts) {
    client_port = c.port;
    Packet p = tcp(from_client, kAck | kPsh, c.seq[from_client], c.seq[!from_client], data, ts);
    c.seq[from_client] += uint32_t(data.size());
    (from_client ? p.src : p.dst) = ip4(c.ip);
    return p;
  };
  int64_t ts = 1;
  // Two rounds: the last request's flow is in the slot when a reply to another
  // address on the same ports comes, with the addresses in either order in the
  // flow's key.
  const int orders[2][2][3] = {{{0, 1, 2}, {0, 1, 2}}, {{1, 2, 0}, {2, 1, 0}}};
  for (const auto& [requests, replies] : orders) {
    for (int i : requests)
      add(packet(clients[i], true, "GET " + clients[i].path + " HTTP/1.1\r\n\r\n", ts++));
    for (int i : replies)
      add(packet(clients[i], false,
                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + clients[i].path, ts++));
  }
  table.finish();
  auto http = of("http");
  ASSERT_EQ(http.size(), 6u);
  std::set<std::string> streams;
  for (const Entry* e : http) {
    EXPECT_EQ(str(*e->response, "body"), str(e->request, "url"));
    streams.insert(e->stream);
  }
  EXPECT_EQ(streams.size(), 3u);
  EXPECT_EQ(of("tcp").size(), 3u);
}

TEST_F(FlowTableTest, OutOfOrderRequestIsReassembled) {
  add(tcp(true, kSyn, 0, 0, "", 1));
  add(tcp(true, kAck, 12, 1, "HTTP/1.1\r\n\r\n", 2));  // second half first
  add(tcp(true, kAck, 1, 1, "GET /x?y=1 ", 3));
  table.finish();
  auto http = of("http");
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(str(http[0]->request, "url"), "/x?y=1");
  EXPECT_EQ(http[0]->error, "no response");
}

TEST_F(FlowTableTest, LostSegmentMarksTheEntryAndTheNextRequestIsFound) {
  add(tcp(true, kSyn, 0, 0, "", 1));
  add(tcp(false, kSyn | kAck, 0, 1, "", 2));
  std::string req1 = "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
  add(tcp(true, kAck, 1, 1, req1 + "01234", 3));
  // bytes "56789" lost; the next request follows
  uint32_t next = 1 + uint32_t(req1.size()) + 10;
  add(tcp(true, kAck, next, 1, "GET /b HTTP/1.1\r\n\r\n", 4));
  add(tcp(false, kAck, 1, next + 19, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5));
  add(tcp(false, kAck, 39, next + 19, "HTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n", 6));
  table.finish();
  auto http = of("http");
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(str(http[0]->request, "url"), "/a");
  EXPECT_EQ(http[0]->error, "gap in stream");
  EXPECT_EQ(str(http[1]->request, "url"), "/b");
  EXPECT_EQ(num(*http[1]->response, "status"), 404);
  EXPECT_EQ(table.counters().reassembly.gaps, 1u);
  EXPECT_EQ(table.counters().reassembly.gap_bytes, 5u);
}

TEST_F(FlowTableTest, MidstreamPickupWithoutSyn) {
  add(tcp(false, kAck, 9000, 100, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 1));
  add(tcp(true, kAck, 100, 9041, "GET /next HTTP/1.1\r\n\r\n", 2));
  add(tcp(false, kAck, 9041, 122, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 3));
  table.finish();
  auto http = of("http");
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(http[0]->error, "no request");
  EXPECT_EQ(num(*http[0]->response, "status"), 200);
  EXPECT_EQ(str(http[1]->request, "url"), "/next");
  EXPECT_EQ(num(*http[1]->response, "status"), 201);
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0]->src.port, 40000);  // the higher port is taken as the client
  EXPECT_EQ(str(flows[0]->request, "state"), "midstream");
}

TEST_F(FlowTableTest, PortReuseAfterCloseIsANewFlow) {
  for (int i = 0; i < 2; ++i) {
    uint32_t isn = 1000u * (i + 1);
    add(tcp(true, kSyn, isn, 0, "", 10 * i + 1));
    add(tcp(false, kSyn | kAck, 7, isn + 1, "", 10 * i + 2));
    add(tcp(true, kFin | kAck, isn + 1, 8, "", 10 * i + 3));
    add(tcp(false, kFin | kAck, 8, isn + 2, "", 10 * i + 4));
  }
  table.finish();
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_NE(flows[0]->stream, flows[1]->stream);
}

TEST_F(FlowTableTest, LateCopyOfTheSynIsNotANewConnection) {
  add(tcp(false, kSyn | kAck, 7, 1001, "", 1));
  add(tcp(true, kAck, 1001, 8, "", 2));
  add(tcp(true, kFin | kAck, 1001, 8, "", 3));
  add(tcp(false, kFin | kAck, 8, 1002, "", 4));
  add(tcp(true, kSyn, 1000, 0, "", 5));
  table.finish();
  EXPECT_EQ(of("tcp").size(), 1u);
}

TEST_F(FlowTableTest, ResetClosesAndIdleTimeoutEnds) {
  add(tcp(true, kSyn, 1, 0, "", 1));
  add(tcp(false, kRst | kAck, 0, 2, "", 2));
  client_port = 40001;
  add(tcp(true, kAck, 5, 5, "x", 3));
  // Far later: the idle connection times out when the table sweeps.
  client_port = 40002;
  add(tcp(true, kSyn, 1, 0, "", 3 + 700'000'000));
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(str(flows[0]->request, "state"), "reset");
  EXPECT_EQ(str(flows[1]->request, "state"), "timeout");
  EXPECT_EQ(table.counters().timed_out, 1u);
}

TEST_F(FlowTableTest, IdleFlowThatTimedOutContinuesItsStream) {
  add(tcp(true, kAck, 1, 1, "x", 1));
  add(tcp(false, kAck, 1, 2, "y", 2 + 700'000'000));  // past the idle timeout
  table.finish();
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(str(flows[0]->request, "state"), "timeout");
  EXPECT_EQ(flows[0]->stream, flows[1]->stream);
  EXPECT_EQ(flows[1]->src.port, 40000);  // the same orientation as before
}

TEST_F(FlowTableTest, LongFlowsAreReportedPeriodically) {
  add(tcp(true, kSyn, 1, 0, "", 0));
  add(tcp(false, kSyn | kAck, 1, 2, "", 30'000'000));
  add(tcp(true, kAck, 2, 2, "", 61'000'000));  // a minute on: an interim entry
  add(tcp(true, kAck | kFin, 2, 2, "", 62'000'000));
  add(tcp(false, kAck | kFin, 2, 3, "", 63'000'000));
  table.finish();
  auto flows = of("tcp");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(str(flows[0]->request, "state"), "active");
  EXPECT_EQ(flows[0]->request.find("interim")->dump(), "true");
  EXPECT_EQ(num(flows[0]->request, "packets"), 1);
  EXPECT_EQ(num(*flows[0]->response, "packets"), 1);
  EXPECT_EQ(str(flows[1]->request, "state"), "closed");
  EXPECT_EQ(num(flows[1]->request, "packets"), 2);  // counts of its own interval
  EXPECT_EQ(num(*flows[1]->response, "packets"), 1);
  EXPECT_EQ(flows[1]->timestamp_us, 61'000'000);
  EXPECT_EQ(flows[0]->stream, flows[1]->stream);
}

TEST_F(FlowTableTest, SctpChunksAreCountedAndDataIsDissected) {
  // INIT, then a packet with DATA (carrying an HTTP request) and SACK, from the client.
  std::vector<uint8_t> init = {1, 0, 0, 20, 0, 0, 0, 1, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1};
  std::string http = "GET /sctp HTTP/1.1\r\n\r\n";
  std::vector<uint8_t> data = {0, 3, 0, uint8_t(16 + http.size()), 0, 0, 0, 1, 0, 0, 0, 0, 0,
                               0, 0, 0};
  data.insert(data.end(), http.begin(), http.end());
  while (data.size() % 4) data.push_back(0);
  std::vector<uint8_t> sack = {3, 0, 0, 16, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0};
  data.insert(data.end(), sack.begin(), sack.end());
  data.push_back(99);  // a trailing partial chunk header is malformed
  for (auto* chunks : {&init, &data}) {
    Packet p;
    p.protocol = kSctp;
    p.src = ip4(1);
    p.dst = ip4(2);
    p.src_port = 5000;
    p.dst_port = 80;
    p.payload = Bytes(*chunks);
    p.timestamp_us = 5;
    add(p);
  }
  table.finish();
  auto flows = of("sctp");
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0]->request.find("chunks")->dump(), R"({"DATA":1,"INIT":1,"SACK":1})");
  auto http_entries = of("http");
  ASSERT_EQ(http_entries.size(), 1u);
  EXPECT_EQ(str(http_entries[0]->request, "url"), "/sctp");
  EXPECT_EQ(http_entries[0]->layer4, "sctp");
}

TEST_F(FlowTableTest, FirstMessageSplitAcrossSegmentsIsStillDetected) {
  // A DNS query over TCP whose first segment holds only part of the message:
  // the probe says Maybe, the bytes are held, and the next segment decides.
  const uint8_t query[] = {0, 23, 0x12, 0x34, 0x01, 0x00, 0,   1, 0, 0, 0, 0, 0,
                           0, 1,  'a',  3,    'c',  'o',  'm', 0, 0, 1, 0, 1};
  std::string q(reinterpret_cast<const char*>(query), sizeof query);
  server_port = 5300;
  add(tcp(true, kSyn, 0, 0, "", 1));
  add(tcp(true, kAck, 1, 1, q.substr(0, 16), 2));
  add(tcp(true, kAck, 17, 1, q.substr(16), 3));
  table.finish();
  auto dns = of("dns");
  ASSERT_EQ(dns.size(), 1u);
  EXPECT_EQ(dns[0]->request.find("questions")->dump(),
            R"([{"name":"a.com","type":"A","class":"IN"}])");
  EXPECT_EQ(dns[0]->timestamp_us, 2);  // the held first segment's time: the first byte
}

TEST_F(FlowTableTest, FlowCapEvictsTheOldestAndCounts) {
  FlowLimits limits;
  limits.max_flows = 2;
  FlowTable small(sink, counters, settings, limits);
  for (uint16_t i = 0; i < 3; ++i) {
    client_port = uint16_t(50000 + i);
    small.add(tcp(true, kSyn, 1, 0, "", i + 1));
  }
  EXPECT_EQ(small.counters().flows_evicted_by_cap, 1u);
  EXPECT_EQ(small.active_flows(), 2u);
  ASSERT_EQ(of("tcp").size(), 1u);
  EXPECT_EQ(of("tcp")[0]->src.port, 50000);
}

// Tables of several capture threads share one flow budget: a SYN flood spread
// over them holds no more flows than the budget, however many threads there are.
TEST_F(FlowTableTest, TablesSharingAFlowBudgetHoldNoMoreThanIt) {
  FlowBudget budget(100);
  FlowLimits limits;
  limits.flows = &budget;
  std::vector<std::unique_ptr<FlowTable>> tables;
  for (int t = 0; t < 4; ++t)
    tables.push_back(std::make_unique<FlowTable>(sink, counters, settings, limits));
  for (uint32_t i = 0; i < 5000; ++i) {
    client_port = uint16_t(10000 + i);
    tables[i % 4]->add(tcp(true, kSyn, i, 0, "", i + 1));
    ASSERT_LE(budget.count.load(), budget.max + 4);
  }
  size_t active = 0;
  uint64_t evicted = 0;
  for (auto& t : tables) {
    active += t->active_flows();
    evicted += t->counters().flows_evicted_by_cap;
  }
  EXPECT_EQ(active, budget.count.load());
  EXPECT_GE(active, 96u);
  EXPECT_GE(evicted, 4900u);
  tables.clear();
  EXPECT_EQ(budget.count.load(), 0u);
}

TEST_F(FlowTableTest, UdpDatagramsGoToTheDissectorOneByOne) {
  // A DNS query and its response on a non-standard port.
  const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0, 0, 0, 0, 0, 0,
                           1,    'a',  3,    'c',  'o', 'm', 0, 0, 1, 0, 1};
  uint8_t response[sizeof query + 16];
  std::memcpy(response, query, sizeof query);
  response[2] = 0x81;
  response[3] = 0x80;
  response[7] = 1;
  const uint8_t answer[] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
  std::memcpy(response + sizeof query, answer, sizeof answer);
  Packet q;
  q.protocol = kUdp;
  q.src = ip4(1);
  q.dst = ip4(2);
  q.src_port = 5555;
  q.dst_port = 5300;
  q.payload = Bytes(query, sizeof query);
  q.timestamp_us = 10;
  Packet r = q;
  std::swap(r.src, r.dst);
  std::swap(r.src_port, r.dst_port);
  r.payload = Bytes(response, sizeof response);
  r.timestamp_us = 30;
  add(q);
  add(r);
  table.finish();
  auto dns = of("dns");
  ASSERT_EQ(dns.size(), 1u);
  EXPECT_EQ(dns[0]->response->find("answers")->dump(),
            R"([{"name":"a.com","type":"A","class":"IN","ttl":60,"data":"1.2.3.4"}])");
  EXPECT_DOUBLE_EQ(dns[0]->elapsed_ms, 0.02);
  ASSERT_EQ(of("udp").size(), 1u);
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

// A Service call seen on both sides of kube-proxy's DNAT: the client's view to
// the cluster IP (10.0.0.99:80), the server's to the pod (10.0.0.2:8080). One
// HTTP entry and one TCP entry come out, naming the pod reached; the twin is counted.
TEST(FlowTableNatTwins, AServiceCallSeenBeforeAndAfterItsDnatIsOneSetOfEntries) {
  testing::CapturingSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  NatTwins twins;
  FlowLimits limits;
  limits.nat_twins = &twins;
  FlowTable table{sink, counters, settings, limits};
  uint64_t frames = 0;
  auto send = [&](bool from_client, uint8_t server_last, uint16_t server_port, uint8_t flags,
                  uint32_t seq, uint32_t ack, std::string_view data, int64_t ts) {
    Packet p;
    p.timestamp_us = ts;
    p.protocol = kTcp;
    IpAddress client = ip4(1), server = ip4(server_last);
    p.src = from_client ? client : server;
    p.dst = from_client ? server : client;
    p.src_port = from_client ? 40000 : server_port;
    p.dst_port = from_client ? server_port : 40000;
    p.seq = seq, p.ack = ack, p.tcp_flags = flags;
    p.payload = testing::bytes(data);
    p.wire_length = 54 + data.size();
    p.new_stream_id = ++frames;
    table.add(p);
  };
  // Each packet crosses the client's interface (cluster IP), then the pod's.
  auto both = [&](bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                  std::string_view data, int64_t ts) {
    send(from_client, 99, 80, flags, seq, ack, data, ts * 10);
    send(from_client, 2, 8080, flags, seq, ack, data, ts * 10 + 1);
  };
  both(true, kSyn, 100, 0, "", 1);
  both(false, kSyn | kAck, 500, 101, "", 2);
  both(true, kAck | kPsh, 101, 501, "GET /a HTTP/1.1\r\nHost: web\r\n\r\n", 3);
  both(false, kAck | kPsh, 501, 130, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 4);
  both(true, kAck | kFin, 130, 539, "", 5);
  both(false, kAck | kFin, 539, 131, "", 6);
  table.finish();
  std::vector<const Entry*> http, tcp;
  for (const auto& e : sink.entries) (e.protocol == "http" ? http : tcp).push_back(&e);
  ASSERT_EQ(http.size(), 1u);
  ASSERT_EQ(tcp.size(), 1u);
  for (const Entry* e : {http[0], tcp[0]}) {
    EXPECT_EQ(e->dst.ip, "10.0.0.2");
    EXPECT_EQ(e->dst.port, 8080);
    EXPECT_EQ(e->src.ip, "10.0.0.1");
  }
  EXPECT_EQ(table.counters().nat_twins, 1u);
  EXPECT_EQ(twins.twins(), 1u);
}

// Another capture thread may hand over the view after the NAT late: a first
// view to a virtual address holds its entries until its twin names the server
// reached, or for a while at most.
TEST(FlowTableNatTwins, AViewToAVirtualAddressWaitsForItsTwin) {
  for (bool twin_comes : {true, false}) {
    testing::CapturingSink sink;
    DissectCounters counters;
    DissectorSettings settings;
    NatTwins twins;
    twins.is_virtual = [](const EntryEndpoint& ep, int64_t) { return ep.ip == "10.0.0.99"; };
    FlowLimits limits;
    limits.nat_twins = &twins;
    FlowTable table{sink, counters, settings, limits};
    uint64_t frames = 0;
    auto send = [&](bool from_client, uint8_t server_last, uint8_t flags, uint32_t seq,
                    uint32_t ack, std::string_view data, int64_t ts) {
      Packet p;
      p.timestamp_us = ts;
      p.protocol = kTcp;
      p.src = from_client ? ip4(1) : ip4(server_last);
      p.dst = from_client ? ip4(server_last) : ip4(1);
      p.src_port = from_client ? 40000 : 80;
      p.dst_port = from_client ? 80 : 40000;
      p.seq = seq, p.ack = ack, p.tcp_flags = flags;
      p.payload = testing::bytes(data);
      p.new_stream_id = ++frames;
      table.add(p);
    };
    send(true, 99, kSyn, 100, 0, "", 10);
    send(false, 99, kSyn | kAck, 500, 101, "", 20);
    send(true, 99, kAck | kPsh, 101, 501, "GET /a HTTP/1.1\r\nHost: web\r\n\r\n", 30);
    send(false, 99, kAck | kPsh, 501, 130, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40);
    EXPECT_TRUE(sink.entries.empty());                    // held
    if (twin_comes) send(true, 2, kSyn, 100, 0, "", 50);  // the other thread's view, late
    send(true, 7, kSyn, 9, 0, "", 400'000);               // time passes
    ASSERT_EQ(sink.entries.size(), 1u);
    EXPECT_EQ(sink.entries[0].protocol, "http");
    EXPECT_EQ(sink.entries[0].dst.ip, twin_comes ? "10.0.0.2" : "10.0.0.99");
  }
}

TEST(FlowTableNatTwins, WithoutTheRegistryBothViewsAreKept) {
  testing::CapturingSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  FlowTable table{sink, counters, settings};
  for (uint8_t last : {99, 2}) {
    Packet p;
    p.protocol = kTcp;
    p.src = ip4(1), p.dst = ip4(last);
    p.src_port = 40000, p.dst_port = 80;
    p.seq = 100, p.tcp_flags = kSyn;
    p.new_stream_id = last;
    table.add(p);
  }
  table.finish();
  EXPECT_EQ(sink.entries.size(), 2u);
}

}  // namespace
}  // namespace trawl
