#include "base/decompress.h"

#include <brotli/decode.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "base/text.h"

namespace trawl {

Codec codec_from_content_encoding(std::string_view value) {
  // With several codings ("gzip, br") the last applied is the first to undo; more
  // than one layer is rare enough to report as unknown.
  if (value.empty()) return Codec::kIdentity;  // the usual message: no header
  value = trim(value);
  if (value.empty() || iequals(value, "identity")) return Codec::kIdentity;
  if (iequals(value, "gzip") || iequals(value, "x-gzip")) return Codec::kGzip;
  if (iequals(value, "deflate")) return Codec::kDeflate;
  if (iequals(value, "br")) return Codec::kBrotli;
  if (iequals(value, "zstd")) return Codec::kZstd;
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

// Appends `produced` bytes unless the cap is reached; false when it is.
bool append_capped(Decompressed& out, const char* data, size_t produced, size_t max_output) {
  size_t room = max_output - out.data.size();
  out.data.append(data, std::min(produced, room));
  if (produced <= room) return true;
  out.truncated = true;
  return false;
}

Decompressed zstd(std::string_view input, size_t max_output) {
  Decompressed out;
  ZSTD_DStream* s = ZSTD_createDStream();
  if (!s) {
    out.ok = false;
    return out;
  }
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  char buf[16384];
  for (;;) {
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    size_t rc = ZSTD_decompressStream(s, &o, &in);
    if (ZSTD_isError(rc)) {
      out.ok = false;
      break;
    }
    if (!append_capped(out, buf, o.pos, max_output)) break;
    // Frames may be concatenated; stop when input is used up and nothing is pending.
    if (in.pos == in.size && o.pos < o.size) break;
  }
  ZSTD_freeDStream(s);
  return out;
}

// One raw snappy block, whole: the C API cannot stop part way.
bool snappy_block(std::string_view block, Decompressed& out, size_t max_output) {
  constexpr size_t kMaxBlock = 64u << 20;
  size_t length = 0;
  if (snappy_uncompressed_length(block.data(), block.size(), &length) != SNAPPY_OK ||
      length > kMaxBlock)
    return false;
  std::string buf(length, '\0');
  if (snappy_uncompress(block.data(), block.size(), buf.data(), &length) != SNAPPY_OK) return false;
  append_capped(out, buf.data(), length, max_output);
  return true;
}

Decompressed snappy(std::string_view input, size_t max_output) {
  Decompressed out;
  static constexpr char kXerialMagic[8] = {char(0x82), 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  if (input.size() < 16 || std::memcmp(input.data(), kXerialMagic, 8) != 0) {
    out.ok = snappy_block(input, out, max_output);
    return out;
  }
  // xerial framing: magic, version, compatible version, then [be32 length][block]...
  size_t pos = 16;
  while (pos + 4 <= input.size() && !out.truncated) {
    auto p = reinterpret_cast<const uint8_t*>(input.data() + pos);
    size_t n = size_t(p[0]) << 24 | size_t(p[1]) << 16 | size_t(p[2]) << 8 | p[3];
    pos += 4;
    if (n > input.size() - pos) break;  // cut short: keep what decoded
    if (!snappy_block(input.substr(pos, n), out, max_output)) {
      out.ok = false;
      break;
    }
    pos += n;
  }
  return out;
}

Decompressed lz4(std::string_view input, size_t max_output) {
  Decompressed out;
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    out.ok = false;
    return out;
  }
  const char* in = input.data();
  size_t left = input.size();
  char buf[16384];
  while (left > 0) {
    size_t out_size = sizeof buf, in_size = left;
    size_t rc = LZ4F_decompress(ctx, buf, &out_size, in, &in_size, nullptr);
    if (LZ4F_isError(rc)) {
      out.ok = false;
      break;
    }
    in += in_size;
    left -= in_size;
    if (!append_capped(out, buf, out_size, max_output)) break;
    if (rc == 0 && left == 0) break;
    if (in_size == 0 && out_size == 0) break;  // no progress: input ended early
  }
  LZ4F_freeDecompressionContext(ctx);
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
    case Codec::kZstd:
      return zstd(input, max_output);
    case Codec::kSnappy:
      return snappy(input, max_output);
    case Codec::kLz4:
      return lz4(input, max_output);
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
