// gRPC over HTTP/2: length-prefixed messages in DATA, status in trailers.
// The HTTP/2 dissector turns a stream into a grpc entry with these.
#pragma once

#include <string_view>

#include "entries/entry.h"
#include "protocols/http1/http_fields.h"

namespace trawl {

class ProtoSchema;

// application/grpc, application/grpc+proto, application/grpc-web...
bool is_grpc_content_type(std::string_view content_type);

// One direction of a gRPC call.
struct GrpcSide {
  std::string_view body;  // DATA bytes kept
  uint64_t body_bytes = 0;
  bool body_capped = false;
  std::string_view encoding;  // grpc-encoding
};

// Makes an http2 entry a grpc one: service, rpc and messages on the request;
// grpcStatus, grpcMessage and messages on the response (status from `status_headers`,
// the trailers or a trailers-only response's headers). With a schema, messages of
// its methods are decoded by name; the others without a schema. With a schema, messages of
// its methods are decoded by name; the others without a schema.
void set_grpc_fields(Entry& e, std::string_view path, const GrpcSide& request,
                     const GrpcSide& response, const HeaderList& status_headers, size_t max_body,
                     const ProtoSchema* schema = nullptr);

}  // namespace trawl
