#include "protocols/kafka/kafka_body.h"

#include <algorithm>
#include <cstring>

#include "base/text.h"

namespace trawl::kafka {

void skip_tagged_fields(Wire& w) {
  uint64_t n = w.uvarint();
  for (uint64_t i = 0; i < n && w.ok(); ++i) {
    w.uvarint();  // tag
    uint64_t size = w.uvarint();
    if (size > w.remaining()) return w.fail();
    w.take(size_t(size));
  }
}

namespace {

constexpr size_t kMaxListed = 1000;  // array elements shown; all are still read
constexpr size_t kMaxBytesShown = 4096;

// Kafka prints topic ids as URL-safe base64 without padding.
std::string uuid_text(Bytes b) {
  std::string s = base64_encode(as_text(b));
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  s.erase(std::find(s.begin(), s.end(), '='), s.end());
  return s;
}

class BodyDecoder {
 public:
  BodyDecoder(int16_t version, bool flexible, RecordBudget budget, DecodedBody& out)
      : version_(version), flexible_(flexible), budget_(budget), out_(out) {}

  size_t records_left() const { return budget_.records; }

  void fields(Wire& w, const std::vector<Field>& fields, Json& into) {
    for (const Field& f : fields) {
      if (!f.in(version_)) continue;
      Json v = value(w, f);
      // A cut message keeps what was read of its arrays, never zeros read past the end.
      if (w.ok() || f.type == FieldType::kStructs || f.type == FieldType::kArray)
        into.set(f.name, std::move(v));
      if (!w.ok()) return;
    }
    if (flexible_) skip_tagged_fields(w);
  }

 private:
  Json value(Wire& w, const Field& f) {
    switch (f.type) {
      case FieldType::kStructs: {
        int64_t n = array_length(w);
        if (n < 0) return Json();
        if (f.name == "partitions") out_.partitions += uint64_t(n);
        Json list = Json::array();
        for (int64_t i = 0; i < n && w.ok(); ++i) {
          Json item = Json::object();
          fields(w, f.fields, item);
          if (list.size() < kMaxListed) list.push(std::move(item));
        }
        return list;
      }
      case FieldType::kArray: {
        int64_t n = array_length(w);
        if (n < 0) return Json();
        Json list = Json::array();
        Field element = f;
        element.type = f.element;
        for (int64_t i = 0; i < n && w.ok(); ++i) {
          Json item = value(w, element);
          if (list.size() < kMaxListed) list.push(std::move(item));
        }
        return list;
      }
      default:
        return primitive(w, f);
    }
  }

  Json primitive(Wire& w, const Field& f) {
    switch (f.type) {
      case FieldType::kInt8:
        return int(w.i8());
      case FieldType::kInt16: {
        int16_t v = w.i16();
        if (v != 0 && out_.first_error == 0 && f.name == "errorCode") out_.first_error = v;
        return int(v);
      }
      case FieldType::kInt32:
        return int(w.i32());
      case FieldType::kInt64:
        return (long long)w.i64();
      case FieldType::kUint16:
        return unsigned(uint16_t(w.i16()));
      case FieldType::kBool:
        return w.i8() != 0;
      case FieldType::kFloat64: {
        uint64_t bits = uint64_t(w.i64());
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      case FieldType::kUuid:
        return uuid_text(w.take(16));
      case FieldType::kString: {
        int64_t n = flexible_ ? compact_length(w) : w.i16();
        if (n < 0) return Json();
        std::string s(as_text(w.take(size_t(n))));
        if (f.topic_name && w.ok() &&
            std::find(out_.topics.begin(), out_.topics.end(), s) == out_.topics.end())
          out_.topics.push_back(s);
        return s;
      }
      case FieldType::kBytes:
      case FieldType::kRecords: {
        int64_t n = flexible_ ? compact_length(w) : w.i32();
        if (n < 0) return Json();
        Bytes b = w.take(size_t(n));
        if (!w.ok()) return Json();
        if (f.type == FieldType::kRecords) return record_set_json(b, budget_, &out_.records);
        if (f.redacted) return "[redacted]";
        Json o = Json::object();
        o.set("size", b.size());
        if (b.size() <= kMaxBytesShown) o.set("base64", base64_encode(as_text(b)));
        return o;
      }
      default:
        return Json();
    }
  }

  // Compact lengths are stored plus one; zero is null.
  static int64_t compact_length(Wire& w) {
    uint64_t n = w.uvarint();
    if (n > uint64_t(INT32_MAX)) w.fail();
    return w.ok() ? int64_t(n) - 1 : -1;
  }

  int64_t array_length(Wire& w) {
    int64_t n = flexible_ ? compact_length(w) : w.i32();
    // Every element takes at least one byte: a larger count is damage.
    if (n > int64_t(w.remaining())) w.fail();
    return w.ok() ? n : -1;
  }

  int16_t version_;
  bool flexible_;
  RecordBudget budget_;
  DecodedBody& out_;
};

}  // namespace

DecodedBody decode_body(const MessageSchema& schema, int16_t version, Bytes body, bool cut,
                        RecordBudget budget) {
  DecodedBody out;
  Wire w(body);
  size_t listable = budget.records;
  BodyDecoder decoder(version, version >= schema.first_flexible, budget, out);
  decoder.fields(w, schema.fields, out.fields);
  out.records_listed = listable - decoder.records_left();
  if (!w.ok()) out.error = cut ? "truncated" : "ends early";
  out.trailing_bytes = w.remaining();
  return out;
}

}  // namespace trawl::kafka
