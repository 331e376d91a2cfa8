// What a hub reads from others: a client's cursor and entry id, and each
// member's /api/entries answer (a member may be anything that answers HTTP).
#include <cstddef>
#include <cstdint>
#include <string>

#include "entries/json_parse.h"
#include "hub/merge.h"
#include "hub/streams.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t cut = text.find('\n');
  std::string_view head = text.substr(0, cut);
  std::string_view body = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  trawl::hub::Cursor cursor;
  if (trawl::hub::Cursor::parse(head, cursor)) {
    trawl::hub::Cursor again;
    if (!trawl::hub::Cursor::parse(cursor.text(), again) || again.text() != cursor.text())
      __builtin_trap();  // what the hub gives back, it must read
  }
  std::string member, rest;
  trawl::hub::split_hub_id(head, member, rest);
  trawl::hub::with_hub_id(body, "n1");
  std::vector<trawl::hub::Member> members(2);
  members[0].name = "n1", members[1].name = "n2";
  trawl::hub::Answer ok{200, std::string(body), ""}, other{int(size % 600), std::string(head), "x"};
  std::vector<trawl::hub::MemberPage> pages{{&members[0], &ok}, {&members[1], &other}};
  trawl::Json back;
  if (!trawl::parse_json(trawl::hub::merge_pages(pages, cursor, 1 + size % 50).dump(), back))
    __builtin_trap();  // entries passed on as their member wrote them: still JSON

  return 0;
}
