// The LDAP dissector (BER, every operation, filters, pairing, StartTLS) on
// arbitrary streams, gaps and closes, and as CLDAP datagrams.
#include "fuzz/stream_harness.h"
#include "protocols/ldap/ldap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::ldap_protocol(), data, size, false);
  trawl::fuzz::run_stream(trawl::ldap_protocol(), data, size, true);
  return 0;
}
