// GraphQL recognition: documents, JSON bodies and query strings of HTTP entries.
#include <string>

#include "protocols/graphql/graphql.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::graphql_operation(text, text.substr(0, 8));
  for (int method = 0; method < 2; ++method) {
    trawl::Entry e;
    e.request.set("method", method ? "POST" : "GET");
    trawl::Json qs = trawl::Json::object();
    qs.set("query", text);
    qs.set("variables", text);
    e.request.set("queryString", std::move(qs));
    trawl::Json headers = trawl::Json::object();
    headers.set("content-type", size % 2 ? "application/json" : "application/graphql");
    e.request.set("headers", std::move(headers));
    e.request.set("body", text);
    trawl::Json& resp = e.response.emplace(trawl::Json::object());
    resp.set("body", text);
    trawl::refine_graphql(e);
    std::string out;
    trawl::write_entry_json(out, e);
  }
  return 0;
}
