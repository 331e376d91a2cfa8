// Kafka bodies decoded by schema, and record sets with their decompression, on
// arbitrary bytes: byte 0 picks the API, byte 1 the version, byte 2 the side.
#include "protocols/kafka/kafka_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trawl::kafka;
  if (size < 3) return 0;
  static const int16_t kKeys[] = {0,  1,  2,  3,  8,  9,  10, 11, 12, 13,
                                  14, 15, 16, 17, 18, 19, 20, 22, 36};
  int16_t key = kKeys[data[0] % (sizeof kKeys / sizeof kKeys[0])];
  const MessageSchema* schema = data[2] & 1 ? response_schema(key) : request_schema(key);
  int16_t version = int16_t(data[1] % (schema->max_version + 1));
  trawl::Bytes body(data + 3, size - 3);
  RecordBudget budget;
  decode_body(*schema, version, body, data[2] & 2, budget);
  uint64_t count = 0;
  record_set_json(body, budget, &count);
  return 0;
}
