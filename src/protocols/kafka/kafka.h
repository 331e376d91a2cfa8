// Kafka: length-prefixed requests and responses paired by correlation id. So far
// the request header (API key and version, correlation id, client id); bodies
// are counted and skipped, and the entry says so.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& kafka_protocol();

}  // namespace trawl
