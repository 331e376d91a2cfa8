// TLS handshake metadata: one entry per handshake (ClientHello + ServerHello).
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& tls_protocol();

}  // namespace trawl
