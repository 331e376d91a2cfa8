// Kafka's wire primitives and record sets: message sets v0/v1 and record
// batches v2, with gzip, snappy, lz4 and zstd compression.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "entries/json.h"

namespace trawl::kafka {

// Reads big-endian integers and Kafka varints; a read past the end sets ok()
// false and yields zeros, so callers check once.
class Wire {
 public:
  explicit Wire(Bytes data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }

  int8_t i8() { return int8_t(fixed(1)); }
  int16_t i16() { return int16_t(fixed(2)); }
  int32_t i32() { return int32_t(fixed(4)); }
  int64_t i64() { return int64_t(fixed(8)); }
  uint64_t uvarint();  // unsigned LEB128
  int64_t varint() {   // zigzag
    uint64_t u = uvarint();
    return int64_t(u >> 1) ^ -int64_t(u & 1);
  }
  Bytes take(size_t n);
  Bytes rest() const { return ok_ ? data_.subspan(pos_) : Bytes{}; }
  void fail() { ok_ = false; }

 private:
  uint64_t fixed(size_t n);

  Bytes data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// What is left to list of one message's records; shared by all its record sets.
struct RecordBudget {
  size_t records = 100;      // records listed with their keys and values
  size_t bytes = 64 * 1024;  // bytes of keys and values listed
};

// Describes a record set: {size, batches, count, compression, records: [...]}.
// `count` is added to `*record_count`. Damage is reported in the object's `error`.
Json record_set_json(Bytes data, RecordBudget& budget, uint64_t* record_count);

}  // namespace trawl::kafka
