// Wide scans over text that is mostly plain (bodies, values): how far it goes
// without a byte that needs attention. Both return a multiple of 16: the block
// there holds such a byte, or fewer than 16 bytes are left; the caller goes on
// byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trawl {

// Leading bytes, in whole 16-byte blocks, that are all ASCII (< 0x80).
size_t ascii_prefix(const uint8_t* p, size_t n);
// Leading bytes, in whole 16-byte blocks, that JSON strings hold as they are:
// no control byte, '"', '\\' or byte >= 0x80.
size_t json_plain_prefix(const uint8_t* p, size_t n);

}  // namespace trawl
