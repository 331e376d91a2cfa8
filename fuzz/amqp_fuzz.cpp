// The AMQP 0-9-1 dissector (frames, method arguments, field tables, content
// properties and bodies, pairing) on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/amqp/amqp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::amqp_protocol(), data, size, false);
  return 0;
}
