// GraphQL over HTTP/1.x and HTTP/2: a request that carries a GraphQL document
// (POST JSON with `query`, GET with ?query=, application/graphql) turns its http
// or http2 entry into a graphql entry.
#pragma once

#include <string_view>

#include "entries/entry.h"

namespace trawl {

// Adds operationType, operationName, query, variables (and errors from the
// response) and sets protocol graphql when the request is GraphQL; otherwise
// leaves the entry as it is.
void refine_graphql(Entry& e);

struct GraphqlOperation {
  std::string_view type;  // query, mutation, subscription; empty when none found
  std::string_view name;
};

// The operation a document runs: the one named `wanted`, else the first.
GraphqlOperation graphql_operation(std::string_view document, std::string_view wanted);

}  // namespace trawl
