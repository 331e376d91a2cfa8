// HTTP/2 (RFC 9113): h2c with prior knowledge, h2c upgrades from HTTP/1.1, and
// captures that start mid-connection. Streams become http2 entries, or grpc
// entries when they carry gRPC.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& http2_protocol();

}  // namespace trawl
