// Entries as the store keeps them: a compact binary record whose request and
// response are their JSON text, so reading back parses nothing until a query
// looks inside (they come back as Json::raw).
#pragma once

#include <string>

#include "base/bytes.h"
#include "entries/entry.h"

namespace trawl {

// Appends the record of `e` to `out`.
void encode_entry_record(const Entry& e, std::string& out);

// Splits the next whole record off the front of `in` without decoding it.
bool next_entry_record(Bytes& in, Bytes& record);

// The fields a scan filters on, read from a record without decoding the rest
// (a scan for one protocol skips the others' records this cheaply).
struct RecordKey {
  uint64_t id = 0;
  int64_t timestamp_us = 0;
  std::string_view protocol;
};
bool peek_entry_record(Bytes record, RecordKey& key);

// Decodes the record at the front of `in` into `e` and advances `in` past it.
// False (and `in` untouched) when the bytes are not a whole record.
bool decode_entry_record(Bytes& in, Entry& e);

}  // namespace trawl
