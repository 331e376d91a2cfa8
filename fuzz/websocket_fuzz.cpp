// WebSocket frames picked up mid-stream: masking, fragments, control frames,
// permessage-deflate, gaps. (The upgrade path is reached through http1_fuzz.)
#include "fuzz/stream_harness.h"
#include "protocols/websocket/websocket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::fuzz::run_stream(trawl::websocket_protocol(), data, size, false);
  return 0;
}
