#include "hub/merge.h"

#include <gtest/gtest.h>

#include "entries/json_parse.h"
#include "hub/streams.h"

namespace trawl::hub {
namespace {

std::string page(std::initializer_list<std::pair<int, int64_t>> entries, const char* extra = "") {
  std::string out = R"({"entries":[)";
  for (auto [id, ts] : entries)
    out += (out.back() == '[' ? "" : ",") + std::string(R"({"id":")") + std::to_string(id) +
           R"(","timestampUs":)" + std::to_string(ts) + "}";
  return out + "]" + extra + "}";
}

std::vector<std::string> ids(const Json& merged) {
  std::vector<std::string> out;
  for (Json e : merged.find("entries")->items()) {
    expand_raw(e);
    out.push_back(e.find("id")->str());
  }
  return out;
}

TEST(HubMerge, NewestFirstAcrossMembersWithACursorPerMember) {
  std::vector<Member> m(3);
  m[0].name = "n1", m[1].name = "n2", m[2].name = "n3";
  Answer a{200, page({{9, 90}, {8, 70}, {7, 50}}, R"(,"next":"7")"), ""};
  Answer b{200, page({{4, 80}, {3, 60}}), ""};  // all it has
  Answer c{200, page({}), ""};
  Json merged = merge_pages({{&m[0], &a}, {&m[1], &b}, {&m[2], &c}}, {}, 4);
  EXPECT_EQ(ids(merged), (std::vector<std::string>{"n1~9", "n2~4", "n1~8", "n2~3"}));
  ASSERT_TRUE(merged.find("next"));
  Cursor next;
  ASSERT_TRUE(Cursor::parse(merged.find("next")->str(), next));
  EXPECT_EQ(next.before, (std::map<std::string, std::string>{{"n1", "8"}}));
  EXPECT_EQ(next.done, (std::vector<std::string>{"n2", "n3"}));
  EXPECT_FALSE(merged.find("partial"));

  Answer a2{200, page({{7, 50}}), ""};  // the next page: n1 only, and it ends
  Json last = merge_pages({{&m[0], &a2}}, next, 4);
  EXPECT_EQ(ids(last), (std::vector<std::string>{"n1~7"}));
  EXPECT_FALSE(last.find("next"));
}

TEST(HubMerge, AMemberThatDoesNotAnswerIsNamedAndKeepsItsPlace) {
  std::vector<Member> m(2);
  m[0].name = "n1", m[1].name = "n2";
  Cursor from;
  from.before["n2"] = "40";
  Answer a{200, page({{5, 10}}), ""};
  Answer dead{0, "", "cannot connect: Connection refused"};
  Json merged = merge_pages({{&m[0], &a}, {&m[1], &dead}}, from, 10);
  EXPECT_EQ(ids(merged), (std::vector<std::string>{"n1~5"}));
  EXPECT_TRUE(merged.find("partial")->boolean());
  EXPECT_EQ(merged.find("missing")->items().front().str(), "n2");
  EXPECT_EQ(merged.find("errors")->find("n2")->str(), "cannot connect: Connection refused");
  EXPECT_EQ(merged.find("next")->str(), "n2~40,n1~");
  Answer bad{500, R"({"error":"disk on fire"})", ""};
  Answer junk{200, "<html>", ""};
  Json both = merge_pages({{&m[0], &bad}, {&m[1], &junk}}, {}, 10);
  EXPECT_EQ(both.find("errors")->find("n1")->str(), "HTTP 500: disk on fire");
  EXPECT_EQ(both.find("errors")->find("n2")->str(), "HTTP 200: not JSON");
}

// An entry goes through as its member wrote it, only the id made the hub's,
// wherever the id is; a page with an entry that is not JSON is not taken.
TEST(HubMerge, EntriesPassThroughAsWrittenButTheirIds) {
  std::vector<Member> m(2);
  m[0].name = "n1", m[1].name = "n2";
  Answer a{200,
           R"({"entries":[{"id":"5","timestampUs":20,"src":{"labels":{"id":"x","timestampUs":99}},)"
           R"("request":{"path":"/\u00e9\"q"}}]})",
           ""};
  Answer b{200, R"({"entries":[{"timestampUs":10,"id":"n9~3"},{"timestampUs":5,"id":"a\"b"}]})",
           ""};
  Json merged = merge_pages({{&m[0], &a}, {&m[1], &b}}, {}, 10);
  EXPECT_EQ(
      merged.dump(),
      R"({"count":3,"entries":[{"id":"n1~5","timestampUs":20,"src":{"labels":{"id":"x",)"
      R"("timestampUs":99}},"request":{"path":"/\u00e9\"q"}},{"timestampUs":10,"id":"n2~n9~3"},)"
      R"({"timestampUs":5,"id":"n2~a\"b"}]})");
  Answer broken{200, R"({"entries":[{"id":"1","timestampUs":tru}]})", ""};
  Answer scalar{200, R"({"entries":[7]})", ""};
  Json none = merge_pages({{&m[0], &broken}, {&m[1], &scalar}}, {}, 10);
  EXPECT_EQ(none.find("count")->integer(), 0);
  EXPECT_EQ(none.find("errors")->find("n1")->str(), "HTTP 200: not JSON");
  EXPECT_EQ(none.find("errors")->find("n2")->str(), "HTTP 200: an entry is not an object");
}

TEST(HubIds, NestAndSplitAtTheFirstMember) {
  std::string member, rest;
  ASSERT_TRUE(split_hub_id("prod-eu~n1~123", member, rest));
  EXPECT_EQ(member, "prod-eu");
  EXPECT_EQ(rest, "n1~123");
  EXPECT_FALSE(split_hub_id("123", member, rest));
  EXPECT_FALSE(split_hub_id("~1", member, rest));
  EXPECT_FALSE(split_hub_id("n 1~1", member, rest));
  EXPECT_EQ(with_hub_id(R"({"id":"7","x":1})", "n2"), R"({"id":"n2~7","x":1})");
  Cursor c;
  EXPECT_FALSE(Cursor::parse("n1", c));
  EXPECT_FALSE(Cursor::parse("n1~a b", c));
  EXPECT_FALSE(Cursor::parse("n1~5%2", c));
  c.before["eu"] = "n1~5,n2~";  // a member hub's own cursor, nested
  c.before["us"] = "n1~50%";
  c.done = {"ap"};
  Cursor back;
  ASSERT_TRUE(Cursor::parse(c.text(), back)) << c.text();
  EXPECT_EQ(back.before, c.before);
  EXPECT_EQ(back.done, c.done);
}

}  // namespace
}  // namespace trawl::hub
