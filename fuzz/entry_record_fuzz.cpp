// The store's entry records as read back from disk: split, peeked and decoded
// from arbitrary bytes; whatever decodes must encode to a record that decodes
// the same.
#include <cstdlib>

#include "store/entry_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trawl::Bytes in(data, size);
  trawl::Bytes record;
  trawl::Entry e, again;
  while (trawl::next_entry_record(in, record)) {
    trawl::RecordKey key;
    bool peeked = trawl::peek_entry_record(record, key);
    trawl::Bytes r = record;
    if (!trawl::decode_entry_record(r, e)) continue;
    if (!peeked || key.id != e.id || key.protocol != e.protocol) std::abort();
    std::string out;
    trawl::encode_entry_record(e, out);
    trawl::Bytes back(reinterpret_cast<const uint8_t*>(out.data()), out.size());
    if (!trawl::decode_entry_record(back, again) || !back.empty()) std::abort();
    std::string a, b;
    trawl::write_entry_json(a, e);
    trawl::write_entry_json(b, again);
    if (a != b) std::abort();
  }
  return 0;
}
