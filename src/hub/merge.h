// A hub's entry ids and pages: every member's entries merged newest first,
// with one cursor that says where each member's next page starts.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "entries/json.h"
#include "hub/fan_out.h"

namespace trawl::hub {

// An entry's id at the hub: "<member>~<id at the member>" (a hub of hubs
// nests them: "prod-eu~n1~123"). Member names are letters, digits, '.', '-', '_'.
std::string hub_id(std::string_view member, std::string_view id);
// The member and its id; false when `id` has no member.
bool split_hub_id(std::string_view id, std::string& member, std::string& rest);
bool valid_member_name(std::string_view name);

// Where each member's next page starts: the id to read before, "" when it has
// not been read yet; members with nothing more are done.
struct Cursor {
  std::map<std::string, std::string> before;
  std::vector<std::string> done;
  bool is_done(const std::string& m) const;
  // "n1~120,n2~88,n3~" with "~" alone after a finished member; false when malformed.
  static bool parse(std::string_view text, Cursor& out);
  std::string text() const;
};

// One member's /api/entries answer, as the fan-out got it.
struct MemberPage {
  const Member* member;
  const Answer* answer;
};

// The hub's page: the members' entries (each newest first) merged by
// timestamp, at most `limit`, their ids made hub ids; "next" when any member
// has more; "partial", "missing" and "errors" for members that did not answer
// (or answered an error) or stopped at their own deadline.
Json merge_pages(const std::vector<MemberPage>& pages, const Cursor& from, size_t limit);

}  // namespace trawl::hub
