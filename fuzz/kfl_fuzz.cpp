// KFL queries from arbitrary text: compile, and when they compile, evaluate and
// redact against an entry with nested request and response values.
#include <string>

#include "query/kfl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trawl;
  static const kfl::Macros macros = {{"https", "tls and (http or http2)"}, {"self", "self"}};
  kfl::CompileError error;
  auto query = kfl::Query::compile(std::string_view(reinterpret_cast<const char*>(data), size),
                                   error, macros);
  if (!query) return 0;
  Entry e;
  e.protocol = "http";
  e.request.set("method", "GET");
  e.request.set("body", R"({"a":[1,{"b":"c"}],"d":null,"e":1.5})");
  Json h = Json::object();
  h.set("x-id", "7");
  e.request.set("headers", std::move(h));
  Json& r = e.response.emplace(Json::object());
  r.set("status", 200);
  r.set("list", Json::array());
  if (query->matches(e)) query->redact(e);
  return 0;
}
