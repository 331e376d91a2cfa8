// Registered protocols and content-based detection.
#pragma once

#include <span>

#include "dissect/dissector.h"

namespace trawl {

// Every protocol trawl dissects, in probing order.
std::span<const ProtocolInfo* const> registered_protocols();

// A registered protocol by entry.md name, or null.
const ProtocolInfo* protocol_by_name(std::string_view name);

// The protocol that takes over a connection upgraded to `token` (case-insensitive).
const ProtocolInfo* protocol_for_upgrade(std::string_view token);

// Picks the protocol of a flow from the first bytes of a direction. Returns null
// while undecided. A Yes wins; between several Yes (or, once `final_attempt`, several
// Maybe) a protocol whose well-known port is one of the flow's wins.
// `maybe` is set when some probe answered Maybe (more bytes could decide).
const ProtocolInfo* detect_protocol(Bytes first, Direction dir, Transport transport,
                                    uint16_t port_a, uint16_t port_b, bool final_attempt,
                                    bool* maybe);

}  // namespace trawl
