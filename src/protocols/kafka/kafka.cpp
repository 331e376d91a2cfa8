#include "protocols/kafka/kafka.h"

#include <array>
#include <deque>

#include "base/text.h"
#include "dissect/entry_problem.h"
#include "protocols/kafka/kafka_body.h"

namespace trawl {

namespace {

constexpr uint32_t kMaxMessage = 256u << 20;  // a larger length prefix is not Kafka
// Messages are kept whole up to settings.max_message (8 MiB: fetch responses at
// consumers' default sizes, 1 MiB per partition); the rest of a larger one is
// counted and skipped, and its entry says "truncated". Buffers grown past
// kRetain are released after their message, so idle connections hold little.
constexpr size_t kRetain = 256u << 10;

constexpr std::array<std::string_view, 69> kApiNames = {"Produce",
                                                        "Fetch",
                                                        "ListOffsets",
                                                        "Metadata",
                                                        "LeaderAndIsr",
                                                        "StopReplica",
                                                        "UpdateMetadata",
                                                        "ControlledShutdown",
                                                        "OffsetCommit",
                                                        "OffsetFetch",
                                                        "FindCoordinator",
                                                        "JoinGroup",
                                                        "Heartbeat",
                                                        "LeaveGroup",
                                                        "SyncGroup",
                                                        "DescribeGroups",
                                                        "ListGroups",
                                                        "SaslHandshake",
                                                        "ApiVersions",
                                                        "CreateTopics",
                                                        "DeleteTopics",
                                                        "DeleteRecords",
                                                        "InitProducerId",
                                                        "OffsetForLeaderEpoch",
                                                        "AddPartitionsToTxn",
                                                        "AddOffsetsToTxn",
                                                        "EndTxn",
                                                        "WriteTxnMarkers",
                                                        "TxnOffsetCommit",
                                                        "DescribeAcls",
                                                        "CreateAcls",
                                                        "DeleteAcls",
                                                        "DescribeConfigs",
                                                        "AlterConfigs",
                                                        "AlterReplicaLogDirs",
                                                        "DescribeLogDirs",
                                                        "SaslAuthenticate",
                                                        "CreatePartitions",
                                                        "CreateDelegationToken",
                                                        "RenewDelegationToken",
                                                        "ExpireDelegationToken",
                                                        "DescribeDelegationToken",
                                                        "DeleteGroups",
                                                        "ElectLeaders",
                                                        "IncrementalAlterConfigs",
                                                        "AlterPartitionReassignments",
                                                        "ListPartitionReassignments",
                                                        "OffsetDelete",
                                                        "DescribeClientQuotas",
                                                        "AlterClientQuotas",
                                                        "DescribeUserScramCredentials",
                                                        "AlterUserScramCredentials",
                                                        "Vote",
                                                        "BeginQuorumEpoch",
                                                        "EndQuorumEpoch",
                                                        "DescribeQuorum",
                                                        "AlterPartition",
                                                        "UpdateFeatures",
                                                        "Envelope",
                                                        "FetchSnapshot",
                                                        "DescribeCluster",
                                                        "DescribeProducers",
                                                        "BrokerRegistration",
                                                        "BrokerHeartbeat",
                                                        "UnregisterBroker",
                                                        "DescribeTransactions",
                                                        "ListTransactions",
                                                        "AllocateProducerIds",
                                                        "ConsumerGroupHeartbeat"};

struct RequestHeader {
  int16_t api_key = 0, api_version = 0;
  int32_t correlation_id = 0;
  std::string client_id;
  bool has_client_id = false;
  size_t size = 0;  // bytes of the fixed part
};

// The fixed part of a request header (v1/v2: key, version, correlation id,
// client id). False when the bytes cannot be one.
bool parse_request_header(Bytes b, RequestHeader& h) {
  if (b.size() < 8) return false;
  h.api_key = int16_t(load_be16(b.data()));
  h.api_version = int16_t(load_be16(b.data() + 2));
  h.correlation_id = int32_t(load_be32(b.data() + 4));
  if (h.api_key < 0 || h.api_key >= int16_t(kApiNames.size()) + 32 || h.api_version < 0 ||
      h.api_version > 30)
    return false;
  h.size = 8;
  if (b.size() < 10) return true;  // ControlledShutdown v0 has no client id
  int16_t len = int16_t(load_be16(b.data() + 8));
  if (len < -1) return false;
  h.size = 10;
  if (len >= 0) {
    if (size_t(len) > b.size() - 10) return false;
    h.client_id.assign(reinterpret_cast<const char*>(b.data() + 10), size_t(len));
    if (!is_printable_utf8(h.client_id)) return false;
    h.size += size_t(len);
  }
  h.has_client_id = true;
  return true;
}

std::string api_name(int16_t key) {
  return key >= 0 && key < int16_t(kApiNames.size()) ? std::string(kApiNames[size_t(key)])
                                                     : "ApiKey" + std::to_string(key);
}

// A body decoded by its schema, or why it was not.
struct Body {
  kafka::DecodedBody decoded;
  std::string skipped;  // "body not dissected: ..." when there is no schema for it
};

// Decodes what follows a header of `header_size` bytes. Flexible versions put
// tagged fields after the header, except ApiVersions responses (always header v0).
Body decode(int16_t api_key, int16_t version, bool request, Bytes message, size_t header_size,
            bool cut, const DissectorSettings& settings) {
  Body out;
  const kafka::MessageSchema* schema =
      request ? kafka::request_schema(api_key) : kafka::response_schema(api_key);
  if (!schema) {
    out.skipped = "body not dissected: " + api_name(api_key) + " v" + std::to_string(version);
    return out;
  }
  if (version > schema->max_version) {
    out.skipped = "body not dissected: " + api_name(api_key) + " v" + std::to_string(version) +
                  " (newest known v" + std::to_string(schema->max_version) + ")";
    return out;
  }
  Bytes rest = message.subspan(std::min(header_size, message.size()));
  bool api_versions_response = api_key == 18 && !request;
  // A broker that does not know the ApiVersions version asked for answers
  // UNSUPPORTED_VERSION in the v0 form (KIP-511).
  if (api_versions_response && rest.size() >= 2 && load_be16(rest.data()) == 35) version = 0;
  kafka::Wire w(rest);
  if (version >= schema->first_flexible && !api_versions_response) kafka::skip_tagged_fields(w);
  kafka::RecordBudget budget;
  budget.records = settings.max_records;
  budget.bytes = settings.max_body;
  out.decoded = kafka::decode_body(*schema, version, w.rest(), cut, budget);
  if (!out.decoded.error.empty() && out.decoded.error != "truncated")
    out.decoded.error = "malformed: " + api_name(api_key) + " v" + std::to_string(version) +
                        (request ? " request " : " response ") + out.decoded.error;
  return out;
}

class KafkaDissector : public StreamDissector {
 public:
  explicit KafkaDissector(const DissectorEnv& env) : env_(env) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    Side& s = sides_[int(dir)];
    while (!data.empty()) {
      if (s.lost) return;
      if (s.length_bytes < 4) {
        if (s.length_bytes == 0) s.first_us = ts;
        s.length_buf[s.length_bytes++] = data[0];
        data = data.subspan(1);
        if (s.length_bytes == 4) {
          s.length = load_be32(s.length_buf);
          if (s.length == 0 || s.length > kMaxMessage) {
            // Not a length prefix: the framing is lost for this direction.
            ++env_.counters.malformed;
            s.lost = true;
            return;
          }
          s.remaining = s.length;
        }
        continue;
      }
      size_t n = size_t(std::min<uint64_t>(s.remaining, data.size()));
      size_t max = env_.settings.max_message;
      if (s.kept.empty() && n == s.length && n <= max) {
        // The whole message is here: decoded where it lies, not copied.
        s.length_bytes = 0;
        s.remaining = 0;
        message(dir, s, data.first(n), ts);
        data = data.subspan(n);
        continue;
      }
      size_t keep = std::min(n, max > s.kept.size() ? max - s.kept.size() : 0);
      if (s.held.budget() == nullptr) s.held = BudgetShare(env_.settings.memory);
      if (keep && (s.refused || !s.held.resize(s.kept.size() + keep))) {
        if (!s.refused) ++env_.counters.budget_drops;
        s.refused = true;
        keep = 0;
      }
      // One allocation for the message (its pages are touched only as it fills).
      if (s.kept.empty() && keep) s.kept.reserve(std::min<size_t>(s.length, max));
      s.kept.append(reinterpret_cast<const char*>(data.data()), keep);
      s.remaining -= n;
      data = data.subspan(n);
      if (s.remaining == 0) {
        s.length_bytes = 0;
        message(dir, s, Bytes(reinterpret_cast<const uint8_t*>(s.kept.data()), s.kept.size()), ts);
        s.kept.clear();
        if (s.kept.capacity() > kRetain) std::string().swap(s.kept);
        s.held.resize(0);
        s.refused = false;
      }
    }
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    // Kafka has no marker to resynchronise on: the rest of this direction is lost.
    sides_[int(dir)].lost = true;
    ++env_.counters.resyncs;
    for (Pending& p : pending_) p.gap = true;
  }

  void on_close(int64_t) override {
    while (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      emit(&p, nullptr);
    }
  }

 private:
  struct Side {
    uint8_t length_buf[4] = {};
    int length_bytes = 0;
    uint32_t length = 0;
    uint64_t remaining = 0;
    std::string kept;      // the message's bytes, up to settings.max_message
    BudgetShare held;      // their memory
    bool refused = false;  // the memory budget refused this message's bytes: kept as far as it got
    int64_t first_us = 0;
    bool lost = false;
  };

  struct Pending {
    RequestHeader header;
    Body body;
    uint64_t size = 0;
    int64_t first_us = 0;
    bool gap = false;
  };

  struct Response {
    int32_t correlation_id = 0;
    Body body;
    bool decoded = false;  // false when its request was not seen
    uint64_t size = 0;
    int64_t first_us = 0, last_us = 0;
  };

  // `b`: the message's bytes as kept (fewer than s.length when it was cut).
  void message(Direction dir, Side& s, Bytes b, int64_t ts) {
    ++env_.counters.messages;
    bool cut = b.size() < s.length;
    uint64_t size = uint64_t(s.length) + 4;
    if (!client_known_) {
      RequestHeader probe;
      client_ = parse_request_header(b, probe) ? dir : opposite(dir);
      client_known_ = true;
    }
    if (dir == client_) {
      Pending p;
      if (!parse_request_header(b, p.header)) {
        ++env_.counters.malformed;
        return;
      }
      p.body = decode(p.header.api_key, p.header.api_version, true, b, p.header.size, cut,
                      env_.settings);
      count_truncation(p.body, cut);
      p.size = size;
      p.first_us = s.first_us;
      if (pending_.size() >= env_.settings.max_pending) {
        Pending old = std::move(pending_.front());
        pending_.pop_front();
        emit(&old, nullptr);
      }
      pending_.push_back(std::move(p));
      return;
    }
    if (b.size() < 4) {
      ++env_.counters.malformed;
      return;
    }
    Response r;
    r.correlation_id = int32_t(load_be32(b.data()));
    r.size = size;
    r.first_us = s.first_us;
    r.last_us = ts;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->header.correlation_id != r.correlation_id) continue;
      Pending p = std::move(*it);
      pending_.erase(it);
      r.body = decode(p.header.api_key, p.header.api_version, false, b, 4, cut, env_.settings);
      count_truncation(r.body, cut);
      r.decoded = true;
      emit(&p, &r);
      return;
    }
    emit(nullptr, &r);  // its request was not captured: the body cannot be read
  }

  void count_truncation(const Body& body, bool cut) {
    if (cut) ++env_.counters.messages_truncated;
    if (body.decoded.records_listed < body.decoded.records) ++env_.counters.body_truncated;
  }

  // Puts a decoded body's fields on one side of the entry.
  static void set_body(Json& side, const Body& body, bool request) {
    const kafka::DecodedBody& d = body.decoded;
    if (!d.topics.empty()) {
      Json topics = Json::array();
      for (const std::string& t : d.topics) topics.push(t);
      side.set("topics", std::move(topics));
    }
    if (!request) {
      side.set("errorCode", d.first_error);
      std::string_view name = kafka::error_name(d.first_error);
      if (d.first_error != 0 && !name.empty()) side.set("errorName", name);
    }
    if (d.partitions > 0) side.set("partitions", d.partitions);
    if (d.records > 0) side.set("recordCount", d.records);
    if (body.skipped.empty()) side.set("payload", d.fields);
    if (d.trailing_bytes > 0) side.set("trailingBytes", d.trailing_bytes);
  }

  static const std::string& body_problem(const Body& b) {
    return b.skipped.empty() ? b.decoded.error : b.skipped;
  }

  void emit(Pending* p, Response* r) {
    Entry e;
    e.protocol = "kafka";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(client_);
    e.dst = env_.flow.receiver(client_);
    if (p) {
      const RequestHeader& h = p->header;
      e.version = std::to_string(h.api_version);
      e.timestamp_us = p->first_us;
      e.request_size = p->size;
      e.request.set("apiKey", h.api_key);
      e.request.set("apiKeyName", api_name(h.api_key));
      e.request.set("apiVersion", h.api_version);
      e.request.set("correlationId", h.correlation_id);
      if (h.has_client_id) e.request.set("clientId", h.client_id);
      set_body(e.request, p->body, true);
    } else {
      e.timestamp_us = r->first_us;
    }
    if (r) {
      Json& side = e.response.emplace(Json::object());
      side.set("correlationId", r->correlation_id);
      if (r->decoded) set_body(side, r->body, false);
      e.response_size = r->size;
      if (p) e.elapsed_ms = double(r->last_us - p->first_us) / 1000.0;
    }
    if (p && p->gap) {
      mark_problem(e, EntryProblem::kGap, env_.counters);
    } else if (!p) {
      mark_problem(e, EntryProblem::kNoRequest, env_.counters);
    } else if (!r) {
      mark_problem(e, EntryProblem::kNoResponse, env_.counters);
    } else if (std::string problem = body_problem(p->body); !problem.empty()) {
      mark_problem(e, std::move(problem), env_.counters);
    } else if (std::string reply_problem = body_problem(r->body); !reply_problem.empty()) {
      mark_problem(e, std::move(reply_problem), env_.counters);
    }
    if (e.error.starts_with("malformed")) ++env_.counters.malformed;
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Side sides_[2];
  std::deque<Pending> pending_;
  Direction client_ = Direction::kAtoB;
  bool client_known_ = false;
};

// A length prefix that matches the bytes, then a request header with a known API.
Probe probe_kafka(Bytes first, Direction) {
  if (first.size() < 14) return first.size() >= 4 && first[0] == 0 ? Probe::kMaybe : Probe::kNo;
  uint32_t length = load_be32(first.data());
  if (length < 10 || length > kMaxMessage) return Probe::kNo;
  RequestHeader h;
  Bytes body = first.subspan(4, std::min<size_t>(first.size() - 4, length));
  bool whole = first.size() >= size_t(length) + 4;
  if (!parse_request_header(body, h)) {
    // The client id may run past the first segment: lean on the fixed fields.
    if (whole) return Probe::kNo;
    RequestHeader fixed;
    int16_t id_length = int16_t(load_be16(body.data() + 8));
    bool plausible = parse_request_header(body.first(8), fixed) &&
                     fixed.api_key < int16_t(kApiNames.size()) && id_length >= 0 &&
                     size_t(id_length) + 10 <= length;
    return plausible ? Probe::kMaybe : Probe::kNo;
  }
  if (h.api_key >= int16_t(kApiNames.size()) || !h.has_client_id) return Probe::kNo;
  // A whole request in the first bytes is convincing; a prefix only leans.
  return whole ? Probe::kYes : Probe::kMaybe;
}

std::unique_ptr<StreamDissector> create_kafka(const DissectorEnv& env) {
  return std::make_unique<KafkaDissector>(env);
}

}  // namespace

const ProtocolInfo& kafka_protocol() {
  static const ProtocolInfo info{"kafka", kOverTcp, {9092, 9093, 29092}, probe_kafka, create_kafka};
  return info;
}

}  // namespace trawl
