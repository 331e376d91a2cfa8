#include "store/entry_record.h"

#include <cstring>

#include "entries/json_parse.h"

namespace trawl {

namespace {

// Record: the length of the rest (4 bytes), fixed fields, strings as varint
// length + bytes, then the request and response JSON each behind a 4-byte
// length, then (flag kHasContext) the context fields: their count, and each
// one's position in entries/context.h's list with its JSON behind a 4-byte
// length. Records without the flag are those of the first release. Fixed lengths let the JSON be
// written straight into the block (the length is filled in after), with no copy in between.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += char(uint8_t(v) | 0x80);
    v >>= 7;
  }
  out += char(v);
}

void put_fixed(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// Reserves a 4-byte length at the end of `out`; close_length() fills it in.
size_t open_length(std::string& out) {
  out.append(4, '\0');
  return out.size();
}

void close_length(std::string& out, size_t start) {
  uint32_t n = uint32_t(out.size() - start);
  std::memcpy(out.data() + start - 4, &n, 4);
}

struct RecordReader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  // A fixed-size field in the host's byte order, as put_fixed() and close_length() write it.
  template <typename T>
  T fixed() {
    if (size_t(end - p) < sizeof(T)) {
      ok = false;
      return 0;
    }
    T v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  std::string_view text() { return bytes(varint()); }
  std::string_view json() { return bytes(u32()); }
  std::string_view bytes(uint64_t n) {
    if (!ok || uint64_t(end - p) < n) {
      ok = false;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), size_t(n));
    p += n;
    return s;
  }
};

enum Flags : uint8_t { kTls = 1, kHasResponse = 2, kHasContext = 4 };

// JSON text with room after it for simdjson's padding, so a query can read it
// in place; an entry decoded again and again (a scan) reuses its buffers.
void set_padded_text(Json& j, std::string_view s) {
  if (!j.is_raw()) j = Json::raw(std::string());
  std::string& text = j.raw_text_mut();
  text.reserve(s.size() + kJsonPadding);
  text.assign(s);
}

void put_context(const EntryContext& context, std::string& out) {
  put_varint(out, context.size());
  context.for_each([&out](ContextField field, const Json& value) {
    put_varint(out, uint64_t(field));
    size_t json = open_length(out);
    value.write(out);
    close_length(out, json);
  });
}

// A field this release does not know (a later one wrote it) is skipped.
void read_context(RecordReader& r, EntryContext& context) {
  uint64_t count = r.varint();
  for (uint64_t i = 0; i < count && r.ok; ++i) {
    uint64_t field = r.varint();
    std::string_view text = r.json();
    Json value;
    if (r.ok && field < uint64_t(ContextField::kCount) && parse_json(text, value))
      context.set(ContextField(field), std::move(value));
  }
}

}  // namespace

void encode_entry_record(const Entry& e, std::string& out) {
  size_t record = open_length(out);
  put_varint(out, e.id);
  put_fixed(out, uint64_t(e.timestamp_us));
  uint64_t elapsed;
  std::memcpy(&elapsed, &e.elapsed_ms, 8);
  put_fixed(out, elapsed);
  put_varint(out, e.request_size);
  put_varint(out, e.response_size);
  out += char((e.tls ? kTls : 0) | (e.response ? kHasResponse : 0) |
              (e.context.empty() ? 0 : kHasContext));
  put_text(out, e.protocol);
  put_text(out, e.version);
  put_text(out, e.layer4);
  put_text(out, e.src.ip);
  put_varint(out, e.src.port);
  put_text(out, e.dst.ip);
  put_varint(out, e.dst.port);
  put_text(out, e.stream);
  put_text(out, e.error);
  size_t json = open_length(out);
  e.request.write(out);
  close_length(out, json);
  if (e.response) {
    json = open_length(out);
    e.response->write(out);
    close_length(out, json);
  }
  if (!e.context.empty()) put_context(e.context, out);
  close_length(out, record);
}

bool next_entry_record(Bytes& in, Bytes& record) {
  RecordReader r{in.data(), in.data() + in.size()};
  uint32_t length = r.u32();
  if (!r.ok || uint64_t(r.end - r.p) < length) return false;
  record = in.first(4 + size_t(length));
  in = in.subspan(4 + size_t(length));
  return true;
}

bool peek_entry_record(Bytes record, RecordKey& key) {
  RecordReader r{record.data(), record.data() + record.size()};
  r.u32();
  key.id = r.varint();
  key.timestamp_us = int64_t(r.u64());
  r.u64();
  r.varint();
  r.varint();
  if (r.p < r.end) ++r.p;  // flags
  key.protocol = r.text();
  return r.ok;
}

bool decode_entry_record(Bytes& in, Entry& e) {
  RecordReader whole{in.data(), in.data() + in.size()};
  uint32_t length = whole.u32();
  if (!whole.ok || uint64_t(whole.end - whole.p) < length) return false;
  RecordReader r{whole.p, whole.p + length};
  e.id = r.varint();
  e.timestamp_us = int64_t(r.u64());
  uint64_t elapsed = r.u64();
  std::memcpy(&e.elapsed_ms, &elapsed, 8);
  e.request_size = r.varint();
  e.response_size = r.varint();
  uint8_t flags = r.p < r.end ? *r.p++ : (r.ok = false, 0);
  e.tls = flags & kTls;
  e.protocol = r.text();
  e.version = r.text();
  e.layer4 = r.text();
  e.src.ip = r.text();
  e.src.port = uint16_t(r.varint());
  e.dst.ip = r.text();
  e.dst.port = uint16_t(r.varint());
  e.stream = r.text();
  e.error = r.text();
  set_padded_text(e.request, r.json());
  if (flags & kHasResponse) {
    if (!e.response) e.response.emplace();
    set_padded_text(*e.response, r.json());
  } else {
    e.response.reset();
  }
  e.context.clear();
  if (flags & kHasContext) read_context(r, e.context);
  if (!r.ok || r.p != r.end) return false;
  in = in.subspan(size_t(r.end - in.data()));
  return true;
}

}  // namespace trawl
