// DNS over UDP and TCP: queries paired with responses by id and question.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& dns_protocol();

}  // namespace trawl
