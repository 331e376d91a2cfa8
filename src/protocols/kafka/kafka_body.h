// Decodes a Kafka request or response body by its schema and version.
#pragma once

#include <string>
#include <vector>

#include "protocols/kafka/kafka_records.h"
#include "protocols/kafka/kafka_schema.h"

namespace trawl::kafka {

struct DecodedBody {
  Json fields = Json::object();     // the body, named as in Kafka's schemas
  std::vector<std::string> topics;  // topic names, in order, once each
  int16_t first_error = 0;          // first non-zero errorCode
  uint64_t partitions = 0;          // entries of partition arrays
  uint64_t records = 0;             // records in all record sets
  uint64_t records_listed = 0;      // of which listed with keys and values
  size_t trailing_bytes = 0;        // after the body (librdkafka pads ApiVersions v0 with 4)
  std::string error;                // empty, "truncated" or what is wrong
};

// `body` follows the message header. `cut` says the message was longer than
// the bytes kept, so running out of bytes is expected there.
DecodedBody decode_body(const MessageSchema& schema, int16_t version, Bytes body, bool cut,
                        RecordBudget budget);

// Skips a tagged-field section (flexible versions).
void skip_tagged_fields(Wire& w);

}  // namespace trawl::kafka
