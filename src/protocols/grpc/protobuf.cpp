#include "protocols/grpc/protobuf.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/text.h"

namespace trawl {

namespace {

constexpr int kMaxDepth = 16;

bool read_varint(Bytes b, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && pos < b.size(); shift += 7) {
    uint8_t c = b[pos++];
    out |= uint64_t(c & 0x7F) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

Json integer(uint64_t v) {
  // Json integers are signed 64-bit: larger values keep their digits as text.
  if (v > uint64_t(INT64_MAX)) return Json(std::to_string(v));
  return Json(static_cast<long long>(v));
}

bool decode(Bytes b, int depth, Json& out);

Json guess_bytes(Bytes b, int depth) {
  if (b.empty()) return Json("");
  std::string_view text = as_text(b);
  // Nested messages nearly always hold a byte below 0x20 (a small tag or length),
  // text nearly never; bytes that start with one (0x0A is field 1's tag) and parse
  // whole are a message even when every byte is printable.
  bool printable = is_printable_utf8(text);
  if (printable && uint8_t(text[0]) >= 0x20) return Json(text);
  Json nested;
  if (depth < kMaxDepth && decode(b, depth + 1, nested)) return nested;
  if (printable) return Json(text);
  Json raw = Json::object();
  raw.set("bytesBase64", base64_encode(text));
  return raw;
}

bool decode(Bytes b, int depth, Json& out) {
  out = Json::object();
  constexpr size_t kLinearSearchMax = 32;
  std::vector<std::pair<uint64_t, size_t>> seen;  // field number -> index in out
  std::unordered_map<uint64_t, size_t> hashed;    // the same, once past kLinearSearchMax
  size_t pos = 0;
  while (pos < b.size()) {
    uint64_t key;
    if (!read_varint(b, pos, key)) return false;
    uint64_t field = key >> 3;
    if (field == 0 || field > 0x1FFFFFFF) return false;
    Json value;
    switch (key & 7) {
      case 0: {
        uint64_t v;
        if (!read_varint(b, pos, v)) return false;
        value = integer(v);
        break;
      }
      case 1:
        if (b.size() - pos < 8) return false;
        value = integer(__builtin_bswap64(uint64_t(load_be32(b.data() + pos)) << 32 |
                                          load_be32(b.data() + pos + 4)));
        pos += 8;
        break;
      case 2: {
        uint64_t len;
        if (!read_varint(b, pos, len) || len > b.size() - pos) return false;
        value = guess_bytes(b.subspan(pos, len), depth);
        pos += len;
        break;
      }
      case 5:
        if (b.size() - pos < 4) return false;
        value = integer(__builtin_bswap32(load_be32(b.data() + pos)));
        pos += 4;
        break;
      default:
        return false;  // groups (3, 4) are long deprecated; 6 and 7 do not exist
    }
    // A usual message is searched linearly; one with many fields through a hash
    // index, so that a hostile message stays linear in time.
    auto& fields = out.fields_mut();
    size_t at = fields.size();
    if (seen.size() <= kLinearSearchMax) {
      for (const auto& [number, index] : seen)
        if (number == field) at = index;
      if (at == fields.size()) seen.emplace_back(field, at);
      if (seen.size() > kLinearSearchMax)
        for (const auto& [number, index] : seen) hashed.emplace(number, index);
    } else {
      at = hashed.try_emplace(field, fields.size()).first->second;
      seen.emplace_back(field, at);
    }
    if (at == fields.size()) {
      fields.emplace_back(std::to_string(field), std::move(value));
      continue;
    }
    Json& slot = fields[at].second;
    if (!slot.is_array()) {
      Json list = Json::array();
      list.push(std::move(slot));
      slot = std::move(list);
    }
    slot.push(std::move(value));
  }
  return true;
}

}  // namespace

bool decode_protobuf(Bytes message, Json& out) {
  return decode(message, 0, out);
}

}  // namespace trawl
