#include "protocols/http2/hpack.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace trawl {

namespace {

constexpr size_t kStaticEntries = 61;
constexpr size_t kEntryOverhead = 32;       // RFC 7541 4.1
constexpr size_t kMaxDecoded = 256 * 1024;  // decoded bytes kept per block

bool read_int(Bytes b, size_t& pos, int prefix, uint64_t& out) {
  if (pos >= b.size()) return false;
  const uint64_t max = (1u << prefix) - 1;
  out = b[pos++] & max;
  if (out < max) return true;
  for (int shift = 0; pos < b.size() && shift <= 28; shift += 7) {
    uint8_t c = b[pos++];
    out += uint64_t(c & 0x7F) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

void write_int(std::string& s, uint8_t first_bits, int prefix, uint64_t v) {
  const uint64_t max = (1u << prefix) - 1;
  if (v < max) {
    s += char(first_bits | v);
    return;
  }
  s += char(first_bits | max);
  for (v -= max; v >= 128; v >>= 7) s += char(0x80 | (v & 0x7F));
  s += char(v);
}

void write_raw_string(std::string& s, std::string_view text) {
  write_int(s, 0x00, 7, text.size());
  s += text;
}

// The encoded string (Huffman flag, length, bytes) starting at pos.
bool string_extent(Bytes b, size_t& pos, Bytes& out) {
  size_t start = pos;
  uint64_t len;
  if (!read_int(b, pos, 7, len) || len > b.size() - pos) return false;
  pos += len;
  out = b.subspan(start, pos - start);
  return true;
}

void append(std::string& s, Bytes b) {
  s.append(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

HpackDecoder::HpackDecoder() {
  inflater_ = fresh_inflater();
  scratch_ = fresh_inflater();
}

HpackDecoder::~HpackDecoder() {
  nghttp2_hd_inflate_del(inflater_);
  nghttp2_hd_inflate_del(scratch_);
}

nghttp2_hd_inflater* HpackDecoder::fresh_inflater() {
  nghttp2_hd_inflater* p = nullptr;
  if (nghttp2_hd_inflate_new(&p) != 0) throw std::bad_alloc();
  return p;
}

void HpackDecoder::set_max_table_size(uint32_t size) {
  // Only growth is applied at once: a smaller size takes effect when the
  // encoder signals it in a block, which the inflater then reads.
  if (size <= settings_max_) return;
  settings_max_ = size;
  if (!partial_) nghttp2_hd_inflate_change_table_size(inflater_, size);
}

void HpackDecoder::lose_state() {
  partial_ = true;
  known_.clear();
  known_size_ = 0;
  unknown_tail_ = true;
  table_max_ = std::max<uint64_t>(table_max_, settings_max_);
}

HpackResult HpackDecoder::decode(Bytes block) {
  return partial_ ? decode_partial(block) : decode_full(block);
}

HpackResult HpackDecoder::decode_full(Bytes block) {
  HpackResult r;
  size_t pos = 0, decoded = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n =
        nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, block.data() + pos, block.size() - pos, 1);
    if (n < 0) {
      r.ok = false;
      nghttp2_hd_inflate_del(inflater_);
      inflater_ = fresh_inflater();
      lose_state();
      return r;
    }
    pos += size_t(n);
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      decoded += nv.namelen + nv.valuelen;
      if (decoded <= kMaxDecoded) {
        r.headers.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                               std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      } else {
        r.truncated = true;
      }
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater_);
      return r;
    }
    if (n == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT)) {  // no progress: cannot happen with in_final
      r.ok = false;
      lose_state();
      return r;
    }
  }
}

bool HpackDecoder::decode_alone(const std::string& representation, Field& out) {
  nghttp2_nv nv;
  int flags = 0;
  auto in = reinterpret_cast<const uint8_t*>(representation.data());
  ssize_t n = nghttp2_hd_inflate_hd2(scratch_, &nv, &flags, in, representation.size(), 1);
  bool ok = n == ssize_t(representation.size()) && (flags & NGHTTP2_HD_INFLATE_EMIT);
  if (ok) {
    out.name.assign(reinterpret_cast<char*>(nv.name), nv.namelen);
    out.value.assign(reinterpret_cast<char*>(nv.value), nv.valuelen);
    // One representation is a whole block: end it so the next one starts clean.
    nv = {};
    flags = 0;
    nghttp2_hd_inflate_hd2(scratch_, &nv, &flags, in + n, 0, 1);
    nghttp2_hd_inflate_end_headers(scratch_);
  } else {
    nghttp2_hd_inflate_del(scratch_);
    scratch_ = fresh_inflater();
  }
  return ok;
}

HpackResult HpackDecoder::decode_partial(Bytes block) {
  HpackResult r;
  size_t pos = 0, decoded = 0;
  std::string rep;
  auto fail = [&] {
    r.ok = false;
    lose_state();
    return r;
  };
  // Entry `index` of the combined table: nullptr when it is from before the capture.
  auto dynamic = [&](uint64_t index, bool& valid) -> const Field* {
    size_t j = index - kStaticEntries - 1;
    valid = true;
    if (j < known_.size()) return &known_[j];
    valid = unknown_tail_;
    return nullptr;
  };
  auto emit = [&](Field& f) {
    decoded += f.name.size() + f.value.size();
    if (decoded <= kMaxDecoded)
      r.headers.emplace_back(std::move(f.name), std::move(f.value));
    else
      r.truncated = true;
  };
  while (pos < block.size()) {
    uint8_t b = block[pos];
    size_t start = pos;
    uint64_t index;
    Field f;
    if (b & 0x80) {  // indexed field
      if (!read_int(block, pos, 7, index) || index == 0) return fail();
      if (index <= kStaticEntries) {
        rep.assign(reinterpret_cast<const char*>(block.data() + start), pos - start);
        if (!decode_alone(rep, f)) return fail();
        emit(f);
        continue;
      }
      bool valid;
      const Field* known = dynamic(index, valid);
      if (!valid) return fail();
      if (!known) {
        ++r.unknown;
        continue;
      }
      f = *known;
      emit(f);
      continue;
    }
    if ((b & 0xE0) == 0x20) {  // dynamic table size update
      if (!read_int(block, pos, 5, index)) return fail();
      update_known_max(index);
      continue;
    }
    const bool indexing = (b & 0xC0) == 0x40;
    if (!read_int(block, pos, indexing ? 6 : 4, index)) return fail();
    rep.clear();
    bool name_unknown = false;
    if (index == 0) {
      Bytes name;
      if (!string_extent(block, pos, name)) return fail();
      rep += char(0x00);
      append(rep, name);
    } else if (index <= kStaticEntries) {
      write_int(rep, 0x00, 4, index);
    } else {
      bool valid;
      const Field* known = dynamic(index, valid);
      if (!valid) return fail();
      name_unknown = !known;
      rep += char(0x00);
      write_raw_string(rep, known ? std::string_view(known->name) : std::string_view("x"));
    }
    Bytes value;
    if (!string_extent(block, pos, value)) return fail();
    append(rep, value);
    if (!decode_alone(rep, f)) return fail();
    if (name_unknown) {
      ++r.unknown;
      if (indexing) {
        // An entry of unknown size: nothing older can be placed any more.
        known_.clear();
        known_size_ = 0;
        unknown_tail_ = true;
      }
      continue;
    }
    if (indexing) insert_known(f);
    emit(f);
  }
  check_recovered();
  return r;
}

void HpackDecoder::insert_known(Field f) {
  size_t s = f.size();
  // Unknown entries are the oldest: any eviction removes them first.
  if (known_size_ + s > table_max_) unknown_tail_ = false;
  while (!known_.empty() && known_size_ + s > table_max_) {
    known_size_ -= known_.back().size();
    known_.pop_back();
  }
  if (s > table_max_) {
    unknown_tail_ = false;  // an entry larger than the table empties it (RFC 7541 4.4)
    return;
  }
  known_size_ += s;
  known_.push_front(std::move(f));
}

void HpackDecoder::update_known_max(uint64_t max) {
  table_max_ = max;
  while (!known_.empty() && known_size_ > table_max_) {
    known_size_ -= known_.back().size();
    known_.pop_back();
    unknown_tail_ = false;
  }
}

void HpackDecoder::check_recovered() {
  // No room left for even the smallest entry from before: the table is known.
  if (unknown_tail_ && known_size_ + kEntryOverhead > table_max_) unknown_tail_ = false;
  if (unknown_tail_) return;
  nghttp2_hd_inflater* seeded = fresh_inflater();
  uint64_t limit = std::max<uint64_t>(settings_max_, table_max_);
  nghttp2_hd_inflate_change_table_size(seeded, size_t(limit));
  std::string seed;
  write_int(seed, 0x20, 5, table_max_);
  for (auto it = known_.rbegin(); it != known_.rend(); ++it) {
    seed += char(0x40);
    write_raw_string(seed, it->name);
    write_raw_string(seed, it->value);
  }
  size_t pos = 0;
  auto in = reinterpret_cast<const uint8_t*>(seed.data());
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n = nghttp2_hd_inflate_hd2(seeded, &nv, &flags, in + pos, seed.size() - pos, 1);
    if (n < 0) {  // cannot seed: stay partial, correct if less complete
      nghttp2_hd_inflate_del(seeded);
      return;
    }
    pos += size_t(n);
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
  }
  nghttp2_hd_inflate_end_headers(seeded);
  nghttp2_hd_inflate_del(inflater_);
  inflater_ = seeded;
  partial_ = false;
  known_.clear();
  known_size_ = 0;
}

}  // namespace trawl
