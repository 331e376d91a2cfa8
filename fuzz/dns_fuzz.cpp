// The DNS dissector and message parser on arbitrary streams, gaps and closes.
#include "fuzz/stream_harness.h"
#include "protocols/dns/dns.h"
#include "protocols/dns/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Over TCP (length-prefixed), over UDP (one datagram per record), and one whole message.
  trawl::fuzz::run_stream(trawl::dns_protocol(), data, size, false);
  trawl::fuzz::run_stream(trawl::dns_protocol(), data, size, true);
  std::string error;
  trawl::parse_dns_message(trawl::Bytes(data, size), error);
  return 0;
}
