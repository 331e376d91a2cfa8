// The HTTP/1 dissector (parser, pairing, body decoding) on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/http1/http1.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::http1_protocol(), data, size, false);
  return 0;
}
