// Body decompression with an output cap (bodies are capped in entries anyway).
#pragma once

#include <string>
#include <string_view>

namespace trawl {

// kSnappy accepts raw snappy and the xerial framing Kafka's Java clients write;
// kLz4 is the LZ4 frame format.
enum class Codec { kIdentity, kGzip, kDeflate, kBrotli, kZstd, kSnappy, kLz4, kUnknown };

// Maps a Content-Encoding value (last coding of a list) to a codec.
Codec codec_from_content_encoding(std::string_view value);

struct Decompressed {
  std::string data;
  bool truncated = false;  // output reached the cap
  bool ok = true;          // false on corrupt input (data holds what decoded)
};

// Decodes up to `max_output` bytes. Input that ends early (a capped or cut body)
// yields what could be decoded with ok = true.
Decompressed decompress(Codec codec, std::string_view input, size_t max_output);

}  // namespace trawl
