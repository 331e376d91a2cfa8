// The Redis dissector (RESP2/RESP3 parser, inline commands, pairing, pub/sub)
// on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/redis/redis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::redis_protocol(), data, size, false);
  return 0;
}
