// The HTTP/2 dissector (frames, HPACK in full and partial mode, streams, gRPC
// and GraphQL refinement) on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/http2/http2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::http2_protocol(), data, size, false);
  return 0;
}
