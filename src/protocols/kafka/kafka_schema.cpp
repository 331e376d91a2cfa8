#include "protocols/kafka/kafka_schema.h"

#include <array>
#include <stdexcept>
#include <unordered_map>

namespace trawl::kafka {

namespace {

// One line per API, from the Apache Kafka protocol guide and message schemas
// (versions up to Kafka 4.x). The grammar:
//   field   := name ':' type marks? ('@' from ('+' | '-' to)?)?
//   type    := i8 i16 i32 i64 u16 bool f64 uuid str bytes rec | '[' type ']' | '[' field* ']'
//   marks   := '^' (a topic name) | '!' (redacted)
// Tagged fields are skipped, so they are not listed.
struct ApiText {
  int16_t key, max_version, first_flexible;
  const char* request;
  const char* response;
};

constexpr int16_t kNone = INT16_MAX;

constexpr ApiText kApis[] = {
    {0, 12, 9,  // Produce
     "transactionalId:str@3+ acks:i16 timeoutMs:i32 "
     "topics:[name:str^@0-12 topicId:uuid@13+ partitions:[index:i32 records:rec]]",
     "responses:[name:str^@0-12 topicId:uuid@13+ partitions:[index:i32 errorCode:i16 "
     "baseOffset:i64 logAppendTimeMs:i64@2+ logStartOffset:i64@5+ "
     "recordErrors:[batchIndex:i32 batchIndexErrorMessage:str]@8+ errorMessage:str@8+]] "
     "throttleTimeMs:i32@1+"},
    {1, 17, 12,  // Fetch
     "replicaId:i32@0-14 maxWaitMs:i32 minBytes:i32 maxBytes:i32@3+ isolationLevel:i8@4+ "
     "sessionId:i32@7+ sessionEpoch:i32@7+ "
     "topics:[topic:str^@0-12 topicId:uuid@13+ partitions:[partition:i32 "
     "currentLeaderEpoch:i32@9+ fetchOffset:i64 lastFetchedEpoch:i32@12+ logStartOffset:i64@5+ "
     "partitionMaxBytes:i32]] "
     "forgottenTopicsData:[topic:str^@7-12 topicId:uuid@13+ partitions:[i32]]@7+ rackId:str@11+",
     "throttleTimeMs:i32@1+ errorCode:i16@7+ sessionId:i32@7+ "
     "responses:[topic:str^@0-12 topicId:uuid@13+ partitions:[partitionIndex:i32 errorCode:i16 "
     "highWatermark:i64 lastStableOffset:i64@4+ logStartOffset:i64@5+ "
     "abortedTransactions:[producerId:i64 firstOffset:i64]@4+ preferredReadReplica:i32@11+ "
     "records:rec]]"},
    {2, 10, 6,  // ListOffsets
     "replicaId:i32 isolationLevel:i8@2+ topics:[name:str^ partitions:[partitionIndex:i32 "
     "currentLeaderEpoch:i32@4+ timestamp:i64 maxNumOffsets:i32@0]] timeoutMs:i32@10+",
     "throttleTimeMs:i32@2+ topics:[name:str^ partitions:[partitionIndex:i32 errorCode:i16 "
     "oldStyleOffsets:[i64]@0 timestamp:i64@1+ offset:i64@1+ leaderEpoch:i32@4+]]"},
    {3, 13, 9,  // Metadata
     "topics:[topicId:uuid@10+ name:str^] allowAutoTopicCreation:bool@4+ "
     "includeClusterAuthorizedOperations:bool@8-10 includeTopicAuthorizedOperations:bool@8+",
     "throttleTimeMs:i32@3+ brokers:[nodeId:i32 host:str port:i32 rack:str@1+] "
     "clusterId:str@2+ controllerId:i32@1+ "
     "topics:[errorCode:i16 name:str^ topicId:uuid@10+ isInternal:bool@1+ "
     "partitions:[errorCode:i16 partitionIndex:i32 leaderId:i32 leaderEpoch:i32@7+ "
     "replicaNodes:[i32] isrNodes:[i32] offlineReplicas:[i32]@5+] "
     "topicAuthorizedOperations:i32@8+] clusterAuthorizedOperations:i32@8-10 errorCode:i16@13+"},
    {8, 9, 8,  // OffsetCommit
     "groupId:str generationIdOrMemberEpoch:i32@1+ memberId:str@1+ groupInstanceId:str@7+ "
     "retentionTimeMs:i64@2-4 topics:[name:str^ partitions:[partitionIndex:i32 "
     "committedOffset:i64 committedLeaderEpoch:i32@6+ commitTimestamp:i64@1 "
     "committedMetadata:str]]",
     "throttleTimeMs:i32@3+ topics:[name:str^ partitions:[partitionIndex:i32 errorCode:i16]]"},
    {9, 9, 6,  // OffsetFetch
     "groupId:str@0-7 topics:[name:str^ partitionIndexes:[i32]]@0-7 "
     "groups:[groupId:str memberId:str@9+ memberEpoch:i32@9+ "
     "topics:[name:str^ partitionIndexes:[i32]]]@8+ requireStable:bool@7+",
     "throttleTimeMs:i32@3+ topics:[name:str^ partitions:[partitionIndex:i32 "
     "committedOffset:i64 committedLeaderEpoch:i32@5+ metadata:str errorCode:i16]]@0-7 "
     "errorCode:i16@2-7 groups:[groupId:str topics:[name:str^ partitions:[partitionIndex:i32 "
     "committedOffset:i64 committedLeaderEpoch:i32 metadata:str errorCode:i16]] "
     "errorCode:i16]@8+"},
    {10, 6, 3,  // FindCoordinator
     "key:str@0-3 keyType:i8@1+ coordinatorKeys:[str]@4+",
     "throttleTimeMs:i32@1+ errorCode:i16@0-3 errorMessage:str@1-3 nodeId:i32@0-3 host:str@0-3 "
     "port:i32@0-3 coordinators:[key:str nodeId:i32 host:str port:i32 errorCode:i16 "
     "errorMessage:str]@4+"},
    {11, 9, 6,  // JoinGroup
     "groupId:str sessionTimeoutMs:i32 rebalanceTimeoutMs:i32@1+ memberId:str "
     "groupInstanceId:str@5+ protocolType:str protocols:[name:str metadata:bytes] reason:str@8+",
     "throttleTimeMs:i32@2+ errorCode:i16 generationId:i32 protocolType:str@7+ protocolName:str "
     "leader:str skipAssignment:bool@9+ memberId:str "
     "members:[memberId:str groupInstanceId:str@5+ metadata:bytes]"},
    {12, 4, 4,  // Heartbeat
     "groupId:str generationId:i32 memberId:str groupInstanceId:str@3+",
     "throttleTimeMs:i32@1+ errorCode:i16"},
    {13, 5, 4,  // LeaveGroup
     "groupId:str memberId:str@0-2 members:[memberId:str groupInstanceId:str reason:str@5+]@3+",
     "throttleTimeMs:i32@1+ errorCode:i16 members:[memberId:str groupInstanceId:str "
     "errorCode:i16]@3+"},
    {14, 5, 4,  // SyncGroup
     "groupId:str generationId:i32 memberId:str groupInstanceId:str@3+ protocolType:str@5+ "
     "protocolName:str@5+ assignments:[memberId:str assignment:bytes]",
     "throttleTimeMs:i32@1+ errorCode:i16 protocolType:str@5+ protocolName:str@5+ "
     "assignment:bytes"},
    {15, 6, 5,  // DescribeGroups
     "groups:[str] includeAuthorizedOperations:bool@3+",
     "throttleTimeMs:i32@1+ groups:[errorCode:i16 errorMessage:str@6+ groupId:str groupState:str "
     "protocolType:str protocolData:str members:[memberId:str groupInstanceId:str@4+ "
     "clientId:str clientHost:str memberMetadata:bytes memberAssignment:bytes] "
     "authorizedOperations:i32@3+]"},
    {16, 5, 3,  // ListGroups
     "statesFilter:[str]@4+ typesFilter:[str]@5+",
     "throttleTimeMs:i32@1+ errorCode:i16 groups:[groupId:str protocolType:str "
     "groupState:str@4+ groupType:str@5+]"},
    {17, 1, kNone,  // SaslHandshake
     "mechanism:str", "errorCode:i16 mechanisms:[str]"},
    {18, 4, 3,  // ApiVersions
     "clientSoftwareName:str@3+ clientSoftwareVersion:str@3+",
     "errorCode:i16 apiKeys:[apiKey:i16 minVersion:i16 maxVersion:i16] throttleTimeMs:i32@1+"},
    {19, 7, 5,  // CreateTopics
     "topics:[name:str^ numPartitions:i32 replicationFactor:i16 "
     "assignments:[partitionIndex:i32 brokerIds:[i32]] configs:[name:str value:str]] "
     "timeoutMs:i32 validateOnly:bool@1+",
     "throttleTimeMs:i32@2+ topics:[name:str^ topicId:uuid@7+ errorCode:i16 errorMessage:str@1+ "
     "numPartitions:i32@5+ replicationFactor:i16@5+ configs:[name:str value:str readOnly:bool "
     "configSource:i8 isSensitive:bool]@5+]"},
    {20, 6, 4,  // DeleteTopics
     "topicNames:[str]@0-5 topics:[name:str^ topicId:uuid]@6+ timeoutMs:i32",
     "throttleTimeMs:i32@1+ responses:[name:str^ topicId:uuid@6+ errorCode:i16 "
     "errorMessage:str@5+]"},
    {22, 5, 2,  // InitProducerId
     "transactionalId:str transactionTimeoutMs:i32 producerId:i64@3+ producerEpoch:i16@3+",
     "throttleTimeMs:i32 errorCode:i16 producerId:i64 producerEpoch:i16"},
    {36, 2, 2,  // SaslAuthenticate
     "authBytes:bytes!",
     "errorCode:i16 errorMessage:str authBytes:bytes! sessionLifetimeMs:i64@1+"},
};

class SchemaParser {
 public:
  explicit SchemaParser(std::string_view text) : text_(text) {}

  std::vector<Field> fields(char end) {
    std::vector<Field> out;
    for (;;) {
      skip_space();
      if (pos_ == text_.size() || text_[pos_] == end) break;
      out.push_back(field());
    }
    return out;
  }

  void expect_end() {
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text");
  }

 private:
  Field field() {
    Field f;
    f.name = std::string(ident());
    if (f.name.empty()) fail("field name expected");
    expect(':');
    if (peek() == '[') {
      ++pos_;
      size_t start = pos_;
      std::string_view first = ident();
      if (peek() == ':') {
        pos_ = start;
        f.type = FieldType::kStructs;
        f.fields = fields(']');
      } else {
        f.type = FieldType::kArray;
        f.element = primitive(first);
      }
      expect(']');
    } else {
      f.type = primitive(ident());
    }
    for (;; ++pos_) {
      if (peek() == '^')
        f.topic_name = true;
      else if (peek() == '!')
        f.redacted = true;
      else
        break;
    }
    if (peek() == '@') {
      ++pos_;
      f.min_version = number();
      f.max_version = f.min_version;
      if (peek() == '+') {
        ++pos_;
        f.max_version = INT16_MAX;
      } else if (peek() == '-') {
        ++pos_;
        f.max_version = number();
      }
    }
    return f;
  }

  FieldType primitive(std::string_view name) {
    static const std::unordered_map<std::string_view, FieldType> kTypes = {
        {"i8", FieldType::kInt8},     {"i16", FieldType::kInt16},   {"i32", FieldType::kInt32},
        {"i64", FieldType::kInt64},   {"u16", FieldType::kUint16},  {"bool", FieldType::kBool},
        {"f64", FieldType::kFloat64}, {"uuid", FieldType::kUuid},   {"str", FieldType::kString},
        {"bytes", FieldType::kBytes}, {"rec", FieldType::kRecords},
    };
    auto it = kTypes.find(name);
    if (it == kTypes.end()) fail("unknown type '" + std::string(name) + "'");
    return it->second;
  }

  std::string_view ident() {
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(uint8_t(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  int16_t number() {
    size_t start = pos_;
    int value = 0;
    while (pos_ < text_.size() && std::isdigit(uint8_t(text_[pos_])))
      value = value * 10 + (text_[pos_++] - '0');
    if (pos_ == start || value > 1000) fail("version expected");
    return int16_t(value);
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail(std::string("'") + c + "' expected");
    ++pos_;
  }
  void skip_space() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("kafka schema at " + std::to_string(pos_) + ": " + what + " in \"" +
                                std::string(text_) + "\"");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

struct Schemas {
  std::unordered_map<int16_t, MessageSchema> requests, responses;

  Schemas() {
    for (const ApiText& api : kApis) {
      requests[api.key] = {api.max_version, api.first_flexible, parse_schema(api.request)};
      responses[api.key] = {api.max_version, api.first_flexible, parse_schema(api.response)};
    }
  }
};

const Schemas& schemas() {
  static const Schemas s;
  return s;
}

const MessageSchema* find(const std::unordered_map<int16_t, MessageSchema>& m, int16_t key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

// Kafka's error codes -1..97, in order from -1 (org.apache.kafka.common.protocol.Errors).
constexpr std::array<std::string_view, 99> kErrorNames = {
    "UNKNOWN_SERVER_ERROR",
    "NONE",
    "OFFSET_OUT_OF_RANGE",
    "CORRUPT_MESSAGE",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "INVALID_FETCH_SIZE",
    "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER",
    "REQUEST_TIMED_OUT",
    "BROKER_NOT_AVAILABLE",
    "REPLICA_NOT_AVAILABLE",
    "MESSAGE_TOO_LARGE",
    "STALE_CONTROLLER_EPOCH",
    "OFFSET_METADATA_TOO_LARGE",
    "NETWORK_EXCEPTION",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "COORDINATOR_NOT_AVAILABLE",
    "NOT_COORDINATOR",
    "INVALID_TOPIC_EXCEPTION",
    "RECORD_LIST_TOO_LARGE",
    "NOT_ENOUGH_REPLICAS",
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "INVALID_REQUIRED_ACKS",
    "ILLEGAL_GENERATION",
    "INCONSISTENT_GROUP_PROTOCOL",
    "INVALID_GROUP_ID",
    "UNKNOWN_MEMBER_ID",
    "INVALID_SESSION_TIMEOUT",
    "REBALANCE_IN_PROGRESS",
    "INVALID_COMMIT_OFFSET_SIZE",
    "TOPIC_AUTHORIZATION_FAILED",
    "GROUP_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED",
    "INVALID_TIMESTAMP",
    "UNSUPPORTED_SASL_MECHANISM",
    "ILLEGAL_SASL_STATE",
    "UNSUPPORTED_VERSION",
    "TOPIC_ALREADY_EXISTS",
    "INVALID_PARTITIONS",
    "INVALID_REPLICATION_FACTOR",
    "INVALID_REPLICA_ASSIGNMENT",
    "INVALID_CONFIG",
    "NOT_CONTROLLER",
    "INVALID_REQUEST",
    "UNSUPPORTED_FOR_MESSAGE_FORMAT",
    "POLICY_VIOLATION",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "DUPLICATE_SEQUENCE_NUMBER",
    "INVALID_PRODUCER_EPOCH",
    "INVALID_TXN_STATE",
    "INVALID_PRODUCER_ID_MAPPING",
    "INVALID_TRANSACTION_TIMEOUT",
    "CONCURRENT_TRANSACTIONS",
    "TRANSACTION_COORDINATOR_FENCED",
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
    "SECURITY_DISABLED",
    "OPERATION_NOT_ATTEMPTED",
    "KAFKA_STORAGE_ERROR",
    "LOG_DIR_NOT_FOUND",
    "SASL_AUTHENTICATION_FAILED",
    "UNKNOWN_PRODUCER_ID",
    "REASSIGNMENT_IN_PROGRESS",
    "DELEGATION_TOKEN_AUTH_DISABLED",
    "DELEGATION_TOKEN_NOT_FOUND",
    "DELEGATION_TOKEN_OWNER_MISMATCH",
    "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
    "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
    "DELEGATION_TOKEN_EXPIRED",
    "INVALID_PRINCIPAL_TYPE",
    "NON_EMPTY_GROUP",
    "GROUP_ID_NOT_FOUND",
    "FETCH_SESSION_ID_NOT_FOUND",
    "INVALID_FETCH_SESSION_EPOCH",
    "LISTENER_NOT_FOUND",
    "TOPIC_DELETION_DISABLED",
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "UNSUPPORTED_COMPRESSION_TYPE",
    "STALE_BROKER_EPOCH",
    "OFFSET_NOT_AVAILABLE",
    "MEMBER_ID_REQUIRED",
    "PREFERRED_LEADER_NOT_AVAILABLE",
    "GROUP_MAX_SIZE_REACHED",
    "FENCED_INSTANCE_ID",
    "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    "ELECTION_NOT_NEEDED",
    "NO_REASSIGNMENT_IN_PROGRESS",
    "GROUP_SUBSCRIBED_TO_TOPIC",
    "INVALID_RECORD",
    "UNSTABLE_OFFSET_COMMIT",
    "THROTTLING_QUOTA_EXCEEDED",
    "PRODUCER_FENCED",
    "RESOURCE_NOT_FOUND",
    "DUPLICATE_RESOURCE",
    "UNACCEPTABLE_CREDENTIAL",
    "INCONSISTENT_VOTER_SET",
    "INVALID_UPDATE_VERSION",
    "FEATURE_UPDATE_FAILED",
    "PRINCIPAL_DESERIALIZATION_FAILURE",
};

}  // namespace

std::vector<Field> parse_schema(std::string_view text) {
  SchemaParser p(text);
  std::vector<Field> out = p.fields('\0');
  p.expect_end();
  return out;
}

const MessageSchema* request_schema(int16_t api_key) {
  return find(schemas().requests, api_key);
}

const MessageSchema* response_schema(int16_t api_key) {
  return find(schemas().responses, api_key);
}

std::string_view error_name(int16_t code) {
  int index = code + 1;
  return index >= 0 && index < int(kErrorNames.size()) ? kErrorNames[size_t(index)] : "";
}

}  // namespace trawl::kafka
