// AMQP 0-9-1: frames on every channel, methods with their arguments and field
// tables, content (properties and body) joined from header and body frames,
// synchronous methods paired with their answers.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& amqp_protocol();

}  // namespace trawl
