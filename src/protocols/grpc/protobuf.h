// Protocol Buffers wire format decoded without a schema: field numbers as keys,
// repeated fields as lists, nested messages and strings guessed safely.
#pragma once

#include "base/bytes.h"
#include "entries/json.h"

namespace trawl {

// {"1": 150, "2": "text", "3": {"1": ...}, "4": [1, 2]}. Returns false (and
// leaves `out` unspecified) when the bytes are not one well-formed message.
bool decode_protobuf(Bytes message, Json& out);

}  // namespace trawl
