// The Kafka dissector (length framing, request headers, pairing) on arbitrary
// streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/kafka/kafka.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::kafka_protocol(), data, size, false);
  return 0;
}
