// GraphQL over HTTP/1.x and HTTP/2: a request that carries a GraphQL document
// (POST JSON with `query`, GET with ?query=, application/graphql) turns its http
// or http2 entry into a graphql entry.
#pragma once

#include <string_view>

#include "entries/entry.h"

namespace trawl {

// What tells a GraphQL request, from the HTTP request's parts.
struct GraphqlRequest {
  std::string_view method;
  std::string_view content_type;                      // the header's value
  std::string_view query, variables, operation_name;  // the query string's, each given once
  std::string_view body;                              // the body when it is text
};

// The fields a GraphQL request adds to its entry's request (batch,
// operationType, operationName, query, variables); null when it is not GraphQL.
Json graphql_request_fields(const GraphqlRequest& request);
// The number of errors a GraphQL response body lists; -1 when it has no `errors` list.
int64_t graphql_response_errors(std::string_view body);

// Adds the fields above (and `errors` to the response) to an entry written as
// a tree and sets protocol graphql when the request is GraphQL; otherwise
// leaves the entry as it is.
void refine_graphql(Entry& e);

struct GraphqlOperation {
  std::string_view type;  // query, mutation, subscription; empty when none found
  std::string_view name;
};

// The operation a document runs: the one named `wanted`, else the first.
GraphqlOperation graphql_operation(std::string_view document, std::string_view wanted);

}  // namespace trawl
