// WebSocket (RFC 6455) after an HTTP/1.1 upgrade, or picked up mid-connection:
// one entry per message, fragments joined, permessage-deflate (RFC 7692) undone.
#pragma once

#include <string>
#include <string_view>

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& websocket_protocol();

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
std::string websocket_accept(std::string_view key);

}  // namespace trawl
