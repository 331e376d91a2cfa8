#include "protocols/kafka/kafka.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zstd.h>

#include "protocols/kafka/kafka_schema.h"
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

std::string be64(int64_t v) {
  return be32(uint32_t(uint64_t(v) >> 32)) + be32(uint32_t(v));
}
std::string str16(const std::string& s) {
  return be16(int(s.size())) + s;
}
std::string uvarint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out += char(v | 0x80);
  return out + char(v);
}
std::string varint(int64_t v) {
  return uvarint(uint64_t(v) << 1 ^ uint64_t(v >> 63));
}
std::string compact(const std::string& s) {
  return uvarint(s.size() + 1) + s;
}

struct Record {
  std::string key, value, header_key, header_value;
};

std::string compress(int codec, const std::string& in) {
  switch (codec) {
    case 1:
      return deflate_compress(in, 31);
    case 2: {
      std::string out(snappy_max_compressed_length(in.size()), '\0');
      size_t n = out.size();
      snappy_compress(in.data(), in.size(), out.data(), &n);
      out.resize(n);
      return out;
    }
    case 3: {
      std::string out(LZ4F_compressFrameBound(in.size(), nullptr), '\0');
      out.resize(LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr));
      return out;
    }
    case 4: {
      std::string out(ZSTD_compressBound(in.size()), '\0');
      out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
      return out;
    }
  }
  return in;
}

// A record batch (magic 2) at base offset 100, compressed with `codec`.
std::string record_batch(const std::vector<Record>& records, int codec) {
  std::string body;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    std::string rec = std::string(1, '\0') + varint(int64_t(i) * 5) + varint(int64_t(i));
    rec += varint(int64_t(r.key.size())) + r.key + varint(int64_t(r.value.size())) + r.value;
    if (r.header_key.empty()) {
      rec += varint(0);
    } else {
      rec += varint(1) + varint(int64_t(r.header_key.size())) + r.header_key +
             varint(int64_t(r.header_value.size())) + r.header_value;
    }
    body += varint(int64_t(rec.size())) + rec;
  }
  body = compress(codec, body);
  std::string after_length = be32(0) + std::string(1, '\2') + be32(0) + be16(codec) +
                             be32(uint32_t(records.size() - 1)) + be64(1700000000000) +
                             be64(1700000000000) + be64(-1) + be16(-1) + be32(uint32_t(-1)) +
                             be32(uint32_t(records.size())) + body;
  return be64(100) + be32(uint32_t(after_length.size())) + after_length;
}

// Produce v3 (transactional id, acks, timeout, one topic, one partition).
std::string produce_v3(const std::string& topic, const std::string& records) {
  return be16(-1) + be16(-1) + be32(30000) + be32(1) + str16(topic) + be32(1) + be32(2) +
         be32(uint32_t(records.size())) + records;
}

const Json& payload(const Json& side) {
  return *side.find("payload");
}

// The first partition of the first topic of a Produce request or Fetch/Produce response.
const Json& first_partition(const Json& side) {
  const Json& p = payload(side);
  const Json* topics = p.find("topics") ? p.find("topics") : p.find("responses");
  return topics->items()[0].find("partitions")->items()[0];
}

TEST(Kafka, RequestAndResponseBodiesPairedByCorrelationId) {
  DissectorHarness h(kafka_protocol());
  // Metadata v1 for two topics, and the broker's answer.
  h.a(request(3, 1, 8, "rdkafka", be32(2) + str16("orders") + str16("payments")));
  std::string broker = be32(1) + be32(1) + str16("broker-1") + be32(9092) + be16(-1);
  std::string topic_ok = be16(0) + str16("orders") + std::string(1, '\0') + be32(1) + be16(0) +
                         be32(0) + be32(1) + be32(1) + be32(1) + be32(1) + be32(1);
  std::string topic_bad = be16(3) + str16("payments") + std::string(1, '\0') + be32(0);
  h.b(response(8, broker + be32(1) + be32(2) + topic_ok + topic_bad));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(num(e.request, "apiKey"), 3);
  EXPECT_EQ(str(e.request, "apiKeyName"), "Metadata");
  EXPECT_EQ(num(e.request, "correlationId"), 8);
  EXPECT_EQ(str(e.request, "clientId"), "rdkafka");
  EXPECT_EQ(e.request.find("topics")->dump(), R"(["orders","payments"])");
  EXPECT_EQ(num(*e.response, "errorCode"), 3);
  EXPECT_EQ(str(*e.response, "errorName"), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(num(*e.response, "partitions"), 1);
  const Json& p = payload(*e.response);
  EXPECT_EQ(p.find("brokers")->dump(),
            R"([{"nodeId":1,"host":"broker-1","port":9092,"rack":null}])");
  EXPECT_EQ(num(p, "controllerId"), 1);
  EXPECT_EQ(first_partition(*e.response).dump(),
            R"({"errorCode":0,"partitionIndex":0,"leaderId":1,"replicaNodes":[1],"isrNodes":[1]})");
}

TEST(Kafka, FlexibleVersionsWithCompactTypesAndTaggedFields) {
  DissectorHarness h(kafka_protocol());
  // ApiVersions v3: request header v2 ends in tagged fields; the body is compact.
  std::string tagged = uvarint(1) + uvarint(5) + uvarint(2) + "xy";  // one unknown tag, skipped
  h.a(request(18, 3, 1, "rdkafka", tagged + compact("librdkafka") + compact("2.0.2") + uvarint(0)));
  // The response keeps header v0 (no tagged fields) even in flexible versions.
  std::string keys = uvarint(3) + be16(0) + be16(0) + be16(9) + uvarint(0) + be16(1) + be16(0) +
                     be16(13) + uvarint(0);
  h.b(response(1, be16(0) + keys + be32(0) + tagged));
  // FindCoordinator v4: coordinator keys, and a coordinator that is not available.
  h.a(request(10, 4, 2, "rdkafka",
              uvarint(0) + std::string(1, '\0') + uvarint(2) + compact("group-a") + uvarint(0)));
  h.b(response(2, uvarint(0) + be32(0) + uvarint(2) + compact("group-a") + be32(-1) + compact("") +
                      be32(-1) + be16(15) + compact("loading") + uvarint(0) + uvarint(0)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  const Entry& av = h.sink.entries[0];
  EXPECT_EQ(av.error, "");
  EXPECT_EQ(payload(av.request).dump(),
            R"({"clientSoftwareName":"librdkafka","clientSoftwareVersion":"2.0.2"})");
  EXPECT_EQ(payload(*av.response).dump(),
            R"({"errorCode":0,"apiKeys":[{"apiKey":0,"minVersion":0,"maxVersion":9},)"
            R"({"apiKey":1,"minVersion":0,"maxVersion":13}],"throttleTimeMs":0})");
  const Entry& fc = h.sink.entries[1];
  EXPECT_EQ(fc.error, "");
  EXPECT_EQ(payload(fc.request).dump(), R"({"keyType":0,"coordinatorKeys":["group-a"]})");
  EXPECT_EQ(num(*fc.response, "errorCode"), 15);
  EXPECT_EQ(str(*fc.response, "errorName"), "COORDINATOR_NOT_AVAILABLE");
}

TEST(Kafka, UnsupportedApiVersionsAnswerIsReadAsV0) {
  DissectorHarness h(kafka_protocol());
  h.a(request(18, 4, 1, "client", uvarint(0) + compact("x") + compact("1") + uvarint(0)));
  h.b(response(1, be16(35) + be32(1) + be16(18) + be16(0) + be16(3)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "");
  EXPECT_EQ(str(*h.sink.entries[0].response, "errorName"), "UNSUPPORTED_VERSION");
  EXPECT_EQ(payload(*h.sink.entries[0].response).find("apiKeys")->dump(),
            R"([{"apiKey":18,"minVersion":0,"maxVersion":3}])");
}

class KafkaCodecs : public ::testing::TestWithParam<int> {};

TEST_P(KafkaCodecs, RecordBatchesDecompressed) {
  int codec = GetParam();
  std::string value(300, 'v');
  std::vector<Record> records = {{"k1", "first " + value, "trace", "abc"},
                                 {"k2", "second " + value, "", ""},
                                 {"k3", std::string("\xff\x00\x01", 3), "", ""}};
  DissectorHarness h(kafka_protocol());
  h.a(request(0, 3, 5, "producer", produce_v3("orders", record_batch(records, codec))));
  h.b(response(
      5, be32(1) + str16("orders") + be32(1) + be32(2) + be16(0) + be64(100) + be64(-1) + be32(0)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(num(e.request, "recordCount"), 3);
  const Json& set = *first_partition(e.request).find("records");
  const char* names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  EXPECT_EQ(str(set, "compression"), names[codec]);
  EXPECT_EQ(num(set, "count"), 3);
  EXPECT_EQ(num(set, "batches"), 1);
  const auto& recs = set.find("records")->items();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].dump(),
            R"({"offset":100,"timestamp":1700000000000,"key":"k1","value":"first )" + value +
                R"(","headers":{"trace":"abc"}})");
  EXPECT_EQ(num(recs[1], "offset"), 101);
  EXPECT_EQ(num(recs[1], "timestamp"), 1700000000005);
  EXPECT_EQ(str(recs[2], "valueBase64"), "/wAB");
  const Json& resp_partition = first_partition(*e.response);
  EXPECT_EQ(num(resp_partition, "baseOffset"), 100);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, KafkaCodecs, ::testing::Values(0, 1, 2, 3, 4));

TEST(Kafka, SeveralBatchesInOneRecordSet) {
  std::string set = record_batch({{"a", "plain", "", ""}}, 0) +
                    record_batch({{"b", "packed", "", ""}, {"c", "packed too", "", ""}}, 1);
  DissectorHarness h(kafka_protocol());
  h.a(request(0, 3, 1, "p", produce_v3("t", set)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Json& rs = *first_partition(h.sink.entries[0].request).find("records");
  EXPECT_EQ(rs.dump().find("compression"), rs.dump().rfind("compression"));  // one key
  EXPECT_EQ(str(rs, "compression"), "gzip");
  EXPECT_EQ(num(rs, "batches"), 2);
  EXPECT_EQ(num(rs, "count"), 3);
  EXPECT_EQ(rs.find("records")->size(), 3u);
}

TEST(Kafka, RepeatedHeaderKeysBecomeAList) {
  // One record with headers trace=a, trace=b, other=c.
  std::string rec = std::string(1, '\0') + varint(0) + varint(0) + varint(1) + "k" + varint(1) +
                    "v" + varint(3) + varint(5) + "trace" + varint(1) + "a" + varint(5) + "trace" +
                    varint(1) + "b" + varint(5) + "other" + varint(1) + "c";
  std::string records = varint(int64_t(rec.size())) + rec;
  std::string after_length = be32(0) + std::string(1, '\2') + be32(0) + be16(0) + be32(0) +
                             be64(0) + be64(0) + be64(-1) + be16(-1) + be32(uint32_t(-1)) +
                             be32(1) + records;
  std::string batch = be64(0) + be32(uint32_t(after_length.size())) + after_length;
  DissectorHarness h(kafka_protocol());
  h.a(request(0, 3, 1, "p", produce_v3("t", batch)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Json& r =
      first_partition(h.sink.entries[0].request).find("records")->find("records")->items()[0];
  EXPECT_EQ(r.find("headers")->dump(), R"({"trace":["a","b"],"other":"c"})");
}

TEST(Kafka, XerialFramedSnappy) {
  std::vector<Record> records = {{"k", "framed by xerial", "", ""}};
  std::string plain = record_batch(records, 0);
  std::string inner = plain.substr(61);  // the records after the batch header
  std::string block = compress(2, inner);
  std::string framed =
      std::string("\x82SNAPPY\0", 8) + be32(1) + be32(1) + be32(uint32_t(block.size())) + block;
  std::string batch = plain.substr(0, 21) + be16(2) + plain.substr(23, 61 - 23) + framed;
  std::string fixed_len = batch.substr(0, 8) + be32(uint32_t(batch.size() - 12)) + batch.substr(12);
  DissectorHarness h(kafka_protocol());
  h.a(request(0, 3, 1, "p", produce_v3("t", fixed_len)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Json& set = *first_partition(h.sink.entries[0].request).find("records");
  EXPECT_EQ(str(set, "compression"), "snappy");
  EXPECT_EQ(str(set.find("records")->items()[0], "value"), "framed by xerial");
}

TEST(Kafka, LegacyMessageSetsPlainAndCompressed) {
  auto message = [](int64_t offset, int magic, int codec, const std::string& key,
                    const std::string& value) {
    std::string m = be32(0) + char(magic) + char(codec) + (magic == 1 ? be64(1600000000000) : "") +
                    be32(uint32_t(key.size())) + key + be32(uint32_t(value.size())) + value;
    return be64(offset) + be32(uint32_t(m.size())) + m;
  };
  std::string inner = message(0, 1, 0, "a", "one") + message(1, 1, 0, "b", "two");
  std::string set =
      message(0, 0, 0, "k", "v0 message") + message(1, 1, 1, "", deflate_compress(inner, 31));
  DissectorHarness h(kafka_protocol());
  // Produce v2: acks, timeout, topics (no transactional id before v3).
  h.a(request(0, 2, 3, "old",
              be16(1) + be32(1000) + be32(1) + str16("legacy") + be32(1) + be32(0) +
                  be32(uint32_t(set.size())) + set));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  EXPECT_EQ(h.sink.entries[0].error, "no response");
  const Json& rs = *first_partition(h.sink.entries[0].request).find("records");
  EXPECT_EQ(num(rs, "count"), 3);
  EXPECT_EQ(str(rs, "compression"), "gzip");
  const auto& recs = rs.find("records")->items();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].dump(), R"({"offset":0,"key":"k","value":"v0 message"})");
  EXPECT_EQ(recs[2].dump(), R"({"offset":1,"timestamp":1600000000000,"key":"b","value":"two"})");
}

TEST(Kafka, FetchResponseWithPartialLastBatch) {
  std::string full = record_batch({{"k", "whole", "", ""}}, 0);
  std::string cut = record_batch({{"k", "cut by the broker", "", ""}}, 0).substr(0, 30);
  std::string records = full + cut;
  // Fetch v4 request and response (isolation level, last stable offset, aborted txns).
  std::string fetch = be32(uint32_t(-1)) + be32(500) + be32(1) + be32(1 << 20) +
                      std::string(1, '\0') + be32(1) + str16("events") + be32(1) + be32(0) +
                      be64(100) + be32(1 << 20);
  std::string answer = be32(0) + be32(1) + str16("events") + be32(1) + be32(0) + be16(0) +
                       be64(101) + be64(101) + be32(uint32_t(-1)) + be32(uint32_t(records.size())) +
                       records;
  DissectorHarness h(kafka_protocol());
  h.a(request(1, 4, 9, "consumer", fetch));
  h.b(response(9, answer));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.request.find("topics")->dump(), R"(["events"])");
  EXPECT_EQ(num(*e.response, "recordCount"), 1);
  const Json& part = first_partition(*e.response);
  EXPECT_TRUE(part.find("abortedTransactions")->is_null());
  const Json& rs = *part.find("records");
  EXPECT_EQ(rs.find("partialBatch")->dump(), "true");
  EXPECT_EQ(str(rs.find("records")->items()[0], "value"), "whole");
}

TEST(Kafka, SaslCredentialsRedacted) {
  DissectorHarness h(kafka_protocol());
  h.a(request(17, 1, 1, "c", str16("PLAIN")));
  h.b(response(1, be16(0) + be32(1) + str16("PLAIN")));
  std::string auth = std::string("\0user\0s3cret-password", 21);
  h.a(request(36, 1, 2, "c", be32(uint32_t(auth.size())) + auth));
  h.b(response(2, be16(0) + be16(-1) + be32(0) + be64(0)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(payload(h.sink.entries[0].request).dump(), R"({"mechanism":"PLAIN"})");
  EXPECT_EQ(payload(h.sink.entries[1].request).dump(), R"({"authBytes":"[redacted]"})");
  for (const Entry& e : h.sink.entries) EXPECT_EQ(e.error, "");
  std::string all;
  for (const Entry& e : h.sink.entries) all += e.request.dump();
  EXPECT_EQ(all.find("s3cret"), std::string::npos);
}

TEST(Kafka, UnknownVersionsAndApisKeepTheirHeaders) {
  DissectorHarness h(kafka_protocol());
  h.a(request(1, 18, 1, "c", "future"));
  h.b(response(1, "future"));
  h.a(request(29, 3, 2, "c", "acls"));  // DescribeAcls: no schema
  h.b(response(2, "acls"));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].error, "body not dissected: Fetch v18 (newest known v17)");
  EXPECT_EQ(h.sink.entries[1].error, "body not dissected: DescribeAcls v3");
  EXPECT_EQ(str(h.sink.entries[1].request, "apiKeyName"), "DescribeAcls");
  EXPECT_EQ(h.sink.entries[1].request.find("payload"), nullptr);
}

TEST(Kafka, MalformedAndTruncatedBodies) {
  DissectorHarness h(kafka_protocol());
  // Heartbeat v0 whose member id claims more bytes than there are.
  h.a(request(12, 0, 1, "c", str16("group") + be32(1) + be16(500) + "short"));
  h.b(response(1, be16(0)));
  // A Produce larger than the bytes kept (8 MiB): its beginning is still read.
  std::string big = record_batch({{"k", std::string(9000000, 'x'), "", ""}}, 0);
  h.a(request(0, 3, 2, "c", produce_v3("large", big)));
  h.b(response(
      2, be32(1) + str16("large") + be32(1) + be32(2) + be16(0) + be64(0) + be64(-1) + be32(0)));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].error, "malformed: Heartbeat v0 request ends early");
  EXPECT_EQ(str(payload(h.sink.entries[0].request), "groupId"), "group");
  EXPECT_EQ(h.sink.entries[1].error, "truncated");
  EXPECT_EQ(h.sink.entries[1].request.find("topics")->dump(), R"(["large"])");
  EXPECT_GT(h.sink.entries[1].request_size, 9000000u);
  EXPECT_EQ(h.counters.malformed, 1u);
  EXPECT_EQ(h.counters.messages_truncated, 1u);
}

TEST(Kafka, EverySchemaParses) {
  for (int key : {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 36}) {
    ASSERT_NO_THROW(kafka::request_schema(int16_t(key)));
    EXPECT_NE(kafka::request_schema(int16_t(key)), nullptr) << key;
    EXPECT_NE(kafka::response_schema(int16_t(key)), nullptr) << key;
  }
  EXPECT_EQ(kafka::request_schema(29), nullptr);
  EXPECT_EQ(kafka::error_name(6), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(kafka::error_name(-1), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(kafka::error_name(97), "PRINCIPAL_DESERIALIZATION_FAILURE");
  EXPECT_EQ(kafka::error_name(500), "");
  try {
    kafka::parse_schema("a:i32 b:[c:nope]");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at 15: unknown type 'nope'"), std::string::npos)
        << e.what();
  }
  auto fields = kafka::parse_schema("name:str^@0-12 ids:[i32]@3+ secret:bytes!");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_TRUE(fields[0].topic_name);
  EXPECT_EQ(fields[0].max_version, 12);
  EXPECT_EQ(fields[1].type, kafka::FieldType::kArray);
  EXPECT_EQ(fields[1].min_version, 3);
  EXPECT_TRUE(fields[2].redacted);
}

TEST(Kafka, ProbeAndBadFraming) {
  const ProtocolInfo& p = kafka_protocol();
  EXPECT_EQ(p.probe(bytes(request(0, 9, 1, "producer", "body")), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\nHost: x\r\n"), Direction::kAtoB), Probe::kNo);
  // A first segment that ends inside the client id still leans towards Kafka.
  std::string req =
      request(3, 12, 1, "consumer-group-member-with-a-long-id", std::string(40, '\0'));
  EXPECT_EQ(p.probe(bytes(req.substr(0, 20)), Direction::kAtoB), Probe::kMaybe);
  EXPECT_EQ(p.probe(bytes(req), Direction::kAtoB), Probe::kYes);
  std::string bogus =
      req.substr(0, 12) + be16(500) + req.substr(14, 6);  // id longer than the message
  EXPECT_EQ(p.probe(bytes(bogus), Direction::kAtoB), Probe::kNo);
  DissectorHarness h(p);
  h.a(std::string("\xff\xff\xff\xff", 4) + "garbage");
  h.close();
  EXPECT_EQ(h.sink.entries.size(), 0u);
  EXPECT_EQ(h.counters.malformed, 1u);
}

}  // namespace
}  // namespace trawl
