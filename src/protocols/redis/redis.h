// Redis (RESP2 and RESP3): commands paired with replies in order (pipelining),
// pub/sub pushes as their own entries, AUTH secrets redacted.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& redis_protocol();

}  // namespace trawl
