// HTTP/1.0 and 1.1: requests and responses paired in order.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& http1_protocol();

}  // namespace trawl
