#include "protocols/graphql/graphql.h"

#include "base/text.h"
#include "entries/json_parse.h"

namespace trawl {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view string_field(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  return v && v->is_string() ? std::string_view(v->str()) : std::string_view();
}

// A GraphQL document starts with an operation, a selection set or a fragment.
bool looks_like_document(std::string_view doc) {
  GraphqlOperation op = graphql_operation(doc, {});
  return !op.type.empty();
}

void set_operation(Json& q, std::string_view document, std::string_view wanted_name,
                   Json variables) {
  GraphqlOperation op = graphql_operation(document, wanted_name);
  q.set("operationType", op.type);
  q.set("operationName", wanted_name.empty() ? op.name : wanted_name);
  q.set("query", document);
  q.set("variables", std::move(variables));
}

}  // namespace

GraphqlOperation graphql_operation(std::string_view doc, std::string_view wanted) {
  GraphqlOperation first, named;
  int depth = 0;
  bool in_header = false;  // between a definition's keyword and its selection set
  size_t i = 0;
  auto skip_ignored = [&] {
    while (i < doc.size()) {
      char c = doc[i];
      if (c == '#') {
        while (i < doc.size() && doc[i] != '\n') ++i;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\xEF' ||
                 c == '\xBB' || c == '\xBF') {
        ++i;  // white space, commas and a byte-order mark are ignored tokens
      } else {
        return;
      }
    }
  };
  auto read_name = [&] {
    size_t start = i;
    while (i < doc.size() && name_char(doc[i])) ++i;
    return doc.substr(start, i - start);
  };
  while (i < doc.size()) {
    skip_ignored();
    if (i >= doc.size()) break;
    char c = doc[i];
    if (c == '"') {  // strings may hold braces: skip them ("..." and """...""")
      bool block = doc.substr(i, 3) == "\"\"\"";
      i += block ? 3 : 1;
      while (i < doc.size()) {
        if (doc[i] == '\\') {
          i += 2;
        } else if (block ? doc.substr(i, 3) == "\"\"\"" : doc[i] == '"') {
          i += block ? 3 : 1;
          break;
        } else {
          ++i;
        }
      }
      continue;
    }
    if (c == '{' || c == '}') {
      if (c == '{' && depth == 0 && !in_header && first.type.empty()) first.type = "query";
      depth += c == '{' ? 1 : -1;
      if (depth < 0) return {};
      in_header = false;
      ++i;
      continue;
    }
    if (depth == 0 && name_char(c)) {
      std::string_view word = read_name();
      if (in_header) continue;  // a name, type condition, variable or directive
      in_header = true;
      if (word == "query" || word == "mutation" || word == "subscription") {
        skip_ignored();
        std::string_view name = read_name();
        if (first.type.empty()) first = {word, name};
        if (!wanted.empty() && name == wanted && named.type.empty()) named = {word, name};
      } else if (word != "fragment") {
        return {};  // not a document
      }
      continue;
    }
    ++i;
  }
  return named.type.empty() ? first : named;
}

namespace {

Json graphql_body_fields(std::string_view body) {
  Json fields = Json::object();
  // A JSON body names its document `query` (written plainly or escaped):
  // bodies without either are not parsed.
  if (body.find("query") == std::string_view::npos && body.find("\\u") == std::string_view::npos)
    return Json();
  Json root;
  if (!parse_json(body, root)) return Json();
  // A batch is a list of operations: the first one names the entry.
  const Json* op = &root;
  if (root.is_array()) {
    if (root.size() == 0) return Json();
    op = &root.items()[0];
    fields.set("batch", root.size());
  }
  if (!op->is_object()) return Json();
  std::string_view document = string_field(*op, "query");
  if (document.empty() || !looks_like_document(document)) return Json();
  const Json* variables = op->find("variables");
  set_operation(fields, document, string_field(*op, "operationName"),
                variables ? *variables : Json());
  return fields;
}

}  // namespace

Json graphql_request_fields(const GraphqlRequest& r) {
  Json fields = Json::object();
  if (r.method == "GET") {
    if (r.query.empty() || !looks_like_document(r.query)) return Json();
    Json variables;
    if (!r.variables.empty()) parse_json(r.variables, variables);
    set_operation(fields, r.query, r.operation_name, std::move(variables));
    return fields;
  }
  if (r.method != "POST" || r.body.empty()) return Json();
  std::string_view content_type = trim(r.content_type.substr(0, r.content_type.find(';')));
  if (!iequals(content_type, "application/graphql")) return graphql_body_fields(r.body);
  if (!looks_like_document(r.body)) return Json();
  set_operation(fields, r.body, {}, Json());
  return fields;
}

int64_t graphql_response_errors(std::string_view body) {
  Json root;
  if (body.empty() || !parse_json(body, root) || !root.is_object()) return -1;
  const Json* errors = root.find("errors");
  return errors && errors->is_array() ? int64_t(errors->size()) : -1;
}

void refine_graphql(Entry& e) {
  Json& q = e.request;
  GraphqlRequest r;
  r.method = string_field(q, "method");
  if (const Json* headers = q.find("headers"))
    r.content_type = string_field(*headers, "content-type");
  if (const Json* qs = q.find("queryString")) {
    r.query = string_field(*qs, "query");
    r.variables = string_field(*qs, "variables");
    r.operation_name = string_field(*qs, "operationName");
  }
  r.body = string_field(q, "body");
  Json fields = graphql_request_fields(r);
  if (fields.is_null()) return;
  for (auto& [k, v] : fields.fields_mut()) q.set(k, std::move(v));
  e.protocol = "graphql";
  if (!e.response) return;
  int64_t errors = graphql_response_errors(string_field(*e.response, "body"));
  if (errors >= 0) e.response->set("errors", errors);
}

}  // namespace trawl
