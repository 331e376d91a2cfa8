// The TLS dissector, hello parsers and fingerprints on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/tls/tls.h"
#include "protocols/tls/tls_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::tls_protocol(), data, size, false);
  // The hello parsers and fingerprints on a raw handshake body.
  trawl::Bytes body(data, size);
  if (auto ch = trawl::parse_client_hello(body)) {
    trawl::ja3_hash(*ch);
    trawl::ja4(*ch);
  }
  trawl::parse_server_hello(body);
  return 0;
}
