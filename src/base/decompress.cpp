#include "base/decompress.h"

#include <brotli/decode.h>
#include <zlib.h>

#include "base/text.h"

namespace trawl {

Codec codec_from_content_encoding(std::string_view value) {
  // With several codings ("gzip, br") the last applied is the first to undo; more
  // than one layer is rare enough to report as unknown.
  value = trim(value);
  if (value.empty() || iequals(value, "identity")) return Codec::kIdentity;
  if (iequals(value, "gzip") || iequals(value, "x-gzip")) return Codec::kGzip;
  if (iequals(value, "deflate")) return Codec::kDeflate;
  if (iequals(value, "br")) return Codec::kBrotli;
  return Codec::kUnknown;
}

namespace {

Decompressed inflate_with(std::string_view input, size_t max_output, int window_bits) {
  Decompressed out;
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    out.ok = false;
    return out;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = uInt(input.size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = sizeof buf - zs.avail_out;
    size_t room = max_output - out.data.size();
    out.data.append(buf, std::min(produced, room));
    if (produced > room) {
      out.truncated = true;
      break;
    }
    // gzip members may be concatenated
    if (rc == Z_STREAM_END && zs.avail_in > 0 && window_bits > 15) rc = inflateReset(&zs);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended early
  }
  if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) out.ok = false;
  inflateEnd(&zs);
  return out;
}

Decompressed brotli(std::string_view input, size_t max_output) {
  Decompressed out;
  BrotliDecoderState* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (!s) {
    out.ok = false;
    return out;
  }
  const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
  size_t avail_in = input.size();
  uint8_t buf[16384];
  for (;;) {
    uint8_t* next_out = buf;
    size_t avail_out = sizeof buf;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    size_t produced = sizeof buf - avail_out;
    size_t room = max_output - out.data.size();
    out.data.append(reinterpret_cast<char*>(buf), std::min(produced, room));
    if (produced > room) {
      out.truncated = true;
      break;
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) continue;
    if (r == BROTLI_DECODER_RESULT_ERROR) out.ok = false;
    break;
  }
  BrotliDecoderDestroyInstance(s);
  return out;
}

}  // namespace

Decompressed decompress(Codec codec, std::string_view input, size_t max_output) {
  switch (codec) {
    case Codec::kGzip:
      return inflate_with(input, max_output, 15 + 16);
    case Codec::kDeflate: {
      // "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
      bool zlib_header = input.size() >= 2 && (uint8_t(input[0]) & 0x0F) == 8 &&
                         ((uint8_t(input[0]) << 8 | uint8_t(input[1])) % 31) == 0;
      return inflate_with(input, max_output, zlib_header ? 15 : -15);
    }
    case Codec::kBrotli:
      return brotli(input, max_output);
    case Codec::kIdentity:
    case Codec::kUnknown:
      break;
  }
  Decompressed out;
  out.data.assign(input.substr(0, max_output));
  out.truncated = input.size() > max_output;
  return out;
}

}  // namespace trawl
