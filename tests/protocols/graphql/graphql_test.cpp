#include "protocols/graphql/graphql.h"

#include <gtest/gtest.h>

#include "protocols/http1/http1.h"
#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;

TEST(Graphql, OperationOfADocument) {
  auto op = graphql_operation("{ hero { name } }", "");
  EXPECT_EQ(op.type, "query");
  EXPECT_EQ(op.name, "");
  op = graphql_operation("# comment {\nmutation AddUser($n: String) { add(name: $n) { id } }", "");
  EXPECT_EQ(op.type, "mutation");
  EXPECT_EQ(op.name, "AddUser");
  op = graphql_operation(
      "fragment F on User { id } query A { a(s: \"}{\") { ...F } } subscription B { b }", "B");
  EXPECT_EQ(op.type, "subscription");
  EXPECT_EQ(op.name, "B");
  EXPECT_EQ(graphql_operation("hello world", "").type, "");
  EXPECT_EQ(graphql_operation("}{", "").type, "");
}

TEST(Graphql, PostJsonBecomesAGraphqlEntryWithErrors) {
  DissectorHarness h(http1_protocol());
  std::string body =
      R"({"query":"query GetUser($id: ID!) { user(id: $id) { name } }","operationName":"GetUser","variables":{"id":"42"}})";
  h.a("POST /graphql HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string reply = R"({"errors":[{"message":"no such user"}],"data":null})";
  h.b("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(reply.size()) + "\r\n\r\n" + reply);
  ASSERT_EQ(h.sink.entries.size(), 1u);
  const Entry& e = h.sink.entries[0];
  EXPECT_EQ(e.protocol, "graphql");
  EXPECT_EQ(e.version, "1.1");
  EXPECT_EQ(str(e.request, "method"), "POST");
  EXPECT_EQ(str(e.request, "operationType"), "query");
  EXPECT_EQ(str(e.request, "operationName"), "GetUser");
  EXPECT_EQ(e.request.find("variables")->dump(), R"({"id":"42"})");
  EXPECT_EQ(num(*e.response, "errors"), 1);
}

TEST(Graphql, GetWithQueryStringAndPlainHttpStaysHttp) {
  DissectorHarness h(http1_protocol());
  h.a("GET /graphql?query=%7B%20me%20%7B%20id%20%7D%20%7D HTTP/1.1\r\nHost: g\r\n\r\n");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  h.a("POST /api HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: "
      "13\r\n\r\n"
      "{\"query\":\"x\"}");
  h.b("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].protocol, "graphql");
  EXPECT_EQ(str(h.sink.entries[0].request, "query"), "{ me { id } }");
  EXPECT_EQ(h.sink.entries[1].protocol, "http");  // "x" is not a GraphQL document
}

}  // namespace
}  // namespace trawl
