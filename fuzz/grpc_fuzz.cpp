// gRPC message framing (length prefixes, compressed flag, gzip) and schema-less
// protobuf decoding: the input is split into a request and a response body.
#include <string>

#include "protocols/grpc/grpc.h"
#include "protocols/grpc/protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view all(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t split = std::min<size_t>(data[0] * 16u, all.size());
  trawl::Entry e;
  e.response.emplace(trawl::Json::object());
  trawl::GrpcSide request{all.substr(0, split), split, bool(data[1] & 1), "gzip"};
  trawl::GrpcSide response{all.substr(split), all.size() - split, bool(data[1] & 2),
                           (data[1] & 4) ? "deflate" : "snappy"};
  trawl::HeaderList trailers{{"grpc-status", std::string(all.substr(0, 3))},
                             {"grpc-message", std::string(all.substr(0, 20))}};
  trawl::set_grpc_fields(e, all.substr(0, 40), request, response, trailers, 512);
  std::string out;
  trawl::write_entry_json(out, e);
  trawl::Json whole;
  trawl::decode_protobuf(trawl::Bytes(data, size), whole);
  return 0;
}
