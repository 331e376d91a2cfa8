#include "protocols/kafka/kafka_records.h"

#include "base/decompress.h"
#include "base/text.h"

namespace trawl::kafka {

uint64_t Wire::fixed(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += n;
  return v;
}

uint64_t Wire::uvarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!ok_ || pos_ >= data_.size()) break;
    uint8_t b = data_[pos_++];
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  ok_ = false;
  return 0;
}

Bytes Wire::take(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return {};
  }
  Bytes out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

namespace {

constexpr std::string_view kCompressionNames[] = {"none", "gzip", "snappy", "lz4", "zstd"};
constexpr Codec kCodecs[] = {Codec::kIdentity, Codec::kGzip, Codec::kSnappy, Codec::kLz4,
                             Codec::kZstd};

class RecordSetReader {
 public:
  RecordSetReader(RecordBudget& budget, Json& out) : budget_(budget), out_(out) {}

  void read_set(Bytes data, int depth) {
    Wire w(data);
    while (w.remaining() >= 12) {
      Wire head(data.subspan(w.position()));
      head.i64();  // base offset
      int32_t length = head.i32();
      if (length < 0) return error("negative batch length");
      // The last batch of a fetch may be cut by the broker's size limit: not an error.
      if (size_t(length) > head.remaining()) return partial();
      Bytes batch = w.take(12 + size_t(length));
      int8_t magic = batch.size() > 16 ? int8_t(batch[16]) : -1;
      if (magic == 2)
        read_batch(batch);
      else if (magic == 0 || magic == 1)
        read_legacy(batch, magic, depth);
      else
        return error("unknown magic " + std::to_string(magic));
    }
    if (w.remaining() > 0) partial();
  }

  uint64_t count = 0;
  uint64_t batches = 0;

 private:
  // Record batch v2: a 61-byte header, then records, compressed as a whole.
  void read_batch(Bytes batch) {
    Wire w(batch);
    int64_t base_offset = w.i64();
    w.i32();  // length
    w.i32();  // partition leader epoch
    w.i8();   // magic
    w.i32();  // crc
    int16_t attributes = w.i16();
    w.i32();  // last offset delta
    int64_t base_timestamp = w.i64();
    w.i64();  // max timestamp
    int64_t producer_id = w.i64();
    w.i16();  // producer epoch
    w.i32();  // base sequence
    int32_t n = w.i32();
    if (!w.ok() || n < 0) return error("bad batch header");
    ++batches;
    count += uint64_t(n);
    // Set once per record set, whatever the number of batches.
    if (attributes & 0x20) out_["control"] = true;
    if (attributes & 0x10) out_["transactional"] = true;
    if (producer_id >= 0) out_["producerId"] = producer_id;
    int codec = attributes & 7;
    if (!set_compression(codec)) return;
    Bytes records = w.take(w.remaining());
    if (!room()) return;  // counted from the header; nothing more will be listed
    std::string inflated;
    if (codec != 0) {
      Decompressed d = decompress(kCodecs[codec], as_text(records), budget_.bytes + 65536);
      if (!d.ok) return error(std::string(kCompressionNames[codec]) + " data corrupt");
      inflated = std::move(d.data);
      records = Bytes(reinterpret_cast<const uint8_t*>(inflated.data()), inflated.size());
    }
    Wire r(records);
    for (int32_t i = 0; i < n && r.ok() && room(); ++i) {
      int64_t length = r.varint();
      if (length < 0 || uint64_t(length) > r.remaining()) break;  // cut by the cap
      Wire rec(r.take(size_t(length)));
      rec.i8();  // attributes
      int64_t timestamp_delta = rec.varint();
      int64_t offset_delta = rec.varint();
      Json item = Json::object();
      // Damaged deltas must not overflow: wrap as Kafka's Java arithmetic would.
      item.set("offset", int64_t(uint64_t(base_offset) + uint64_t(offset_delta)));
      item.set("timestamp", int64_t(uint64_t(base_timestamp) + uint64_t(timestamp_delta)));
      add_bytes(item, "key", rec, rec.varint());
      add_bytes(item, "value", rec, rec.varint());
      int64_t headers = rec.varint();
      if (headers > 0 && uint64_t(headers) <= rec.remaining()) {
        Json& h = item["headers"] = Json::object();
        for (int64_t j = 0; j < headers && rec.ok(); ++j) {
          int64_t klen = rec.varint();
          if (klen < 0 || uint64_t(klen) > rec.remaining()) break;
          std::string key(as_text(rec.take(size_t(klen))));
          int64_t vlen = rec.varint();
          std::string value = vlen >= 0 && uint64_t(vlen) <= rec.remaining()
                                  ? std::string(as_text(rec.take(size_t(vlen))))
                                  : "";
          Json v = is_valid_utf8(value) ? Json(value) : Json(base64_encode(value));
          std::string name = is_valid_utf8(key) ? key : base64_encode(key);
          // Kafka allows a header key more than once: its values become a list.
          if (const Json* seen = h.find(name)) {
            Json& slot = h[name];
            if (!seen->is_array()) {
              Json list = Json::array();
              list.push(std::move(slot));
              slot = std::move(list);
            }
            slot.push(std::move(v));
          } else {
            h.set(std::move(name), std::move(v));
          }
        }
      }
      if (!rec.ok()) {
        error("malformed record");
        break;
      }
      list(std::move(item));
    }
  }

  // Message sets v0/v1: offset, size, crc, magic, attributes, [timestamp], key, value.
  // A compressed message's value is itself a message set.
  void read_legacy(Bytes message, int8_t magic, int depth) {
    Wire w(message);
    int64_t offset = w.i64();
    w.i32();  // size
    w.i32();  // crc
    w.i8();   // magic
    int8_t attributes = w.i8();
    int64_t timestamp = magic == 1 ? w.i64() : -1;
    int32_t key_length = w.i32();
    Bytes key = key_length > 0 ? w.take(size_t(key_length)) : Bytes{};
    int32_t value_length = w.i32();
    Bytes value = value_length > 0 ? w.take(size_t(value_length)) : Bytes{};
    if (!w.ok()) return error("malformed message");
    int codec = attributes & 7;
    if (codec != 0) {
      if (!set_compression(codec)) return;
      if (depth > 0) return error("nested compressed message");
      Decompressed d = decompress(kCodecs[codec], as_text(value), budget_.bytes + 65536);
      if (!d.ok) return error(std::string(kCompressionNames[codec]) + " data corrupt");
      read_set(Bytes(reinterpret_cast<const uint8_t*>(d.data.data()), d.data.size()), depth + 1);
      return;
    }
    ++batches;
    ++count;
    if (!room()) return;
    Json item = Json::object();
    item.set("offset", offset);
    if (magic == 1) item.set("timestamp", timestamp);
    add_value(item, "key", key, key_length >= 0);
    add_value(item, "value", value, value_length >= 0);
    list(std::move(item));
  }

  bool set_compression(int codec) {
    if (codec > 4) {
      error("unknown compression " + std::to_string(codec));
      return false;
    }
    if (codec != 0 || !out_.find("compression")) out_["compression"] = kCompressionNames[codec];
    return true;
  }

  void add_bytes(Json& item, const char* name, Wire& w, int64_t length) {
    if (length < 0) return add_value(item, name, {}, false);
    if (uint64_t(length) > w.remaining()) return w.fail();
    add_value(item, name, w.take(size_t(length)), true);
  }

  void add_value(Json& item, std::string name, Bytes value, bool present) {
    if (!present) return;  // null keys are common: absent rather than noise
    std::string_view text = as_text(value);
    if (text.size() > budget_.bytes) {
      text = text.substr(0, budget_.bytes);
      item.set(name + "Truncated", true);
      item.set(name + "Size", value.size());
    }
    budget_.bytes -= text.size();
    if (is_valid_utf8(text))
      item.set(name, text);
    else
      item.set(name + "Base64", base64_encode(text));
  }

  bool room() const { return budget_.records > 0 && budget_.bytes > 0; }
  void list(Json item) {
    --budget_.records;
    if (!out_.find("records")) out_.set("records", Json::array());
    out_["records"].push(std::move(item));
  }
  void partial() { out_["partialBatch"] = true; }
  void error(std::string what) {
    if (!out_.find("error")) out_.set("error", std::move(what));
  }

  RecordBudget& budget_;
  Json& out_;
};

}  // namespace

Json record_set_json(Bytes data, RecordBudget& budget, uint64_t* record_count) {
  Json out = Json::object();
  out.set("size", data.size());
  RecordSetReader reader(budget, out);
  reader.read_set(data, 0);
  out.set("batches", reader.batches);
  out.set("count", reader.count);
  *record_count += reader.count;
  return out;
}

}  // namespace trawl::kafka
