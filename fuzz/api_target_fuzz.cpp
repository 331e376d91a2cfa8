// The API's request targets (path and %-encoded parameters) and the stored
// entry records a worker reads back from disk.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/routes.h"
#include "store/entry_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::api::Target t;
  trawl::api::Target::parse(text, t);
  trawl::Bytes in(data, size);
  trawl::Entry e;
  while (trawl::decode_entry_record(in, e)) {
    std::string out;
    trawl::write_entry_json(out, e);
  }
  return 0;
}
