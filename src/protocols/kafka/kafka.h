// Kafka: length-prefixed requests and responses paired by correlation id, with
// the bodies of the common APIs decoded by their schemas (kafka_schema.cpp),
// record sets included; other APIs keep their header fields and say what was skipped.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& kafka_protocol();

}  // namespace trawl
