#include "stages/query_stages.h"

#include <stdexcept>

#include "query/kfl.h"

namespace trawl {

namespace {

// Drops what its query does not match; applies a redact() the query holds.
class QueryStage : public EntryStage {
 public:
  explicit QueryStage(kfl::Query query) : query_(std::move(query)) {}
  bool process(Entry& e) override {
    if (!query_.matches(e)) return false;
    if (query_.redacts()) query_.redact(e);
    return true;
  }

 private:
  kfl::Query query_;
};

std::string redact_query(const std::vector<std::string>& fields) {
  std::string q = "redact(";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) q += ", ";
    q += Json(fields[i]).dump();  // a KFL string literal: JSON escapes
  }
  return q + ")";
}

// A query that compiles and can work before ids exist, else why not.
std::string problem_of(const std::string& query) {
  kfl::CompileError error;
  auto q = kfl::Query::compile(query, error);
  if (!q) return error.text();
  if (q->limit()) return "limit() has no meaning here: entries are kept or dropped one by one";
  if (q->reads_id()) return "id is given to entries after this stage";
  return "";
}

StageSpec query_stage(std::string name, std::string query) {
  if (std::string problem = problem_of(query); !problem.empty())
    throw std::invalid_argument(problem);
  return {std::move(name), [query] {
            kfl::CompileError error;
            return std::make_unique<QueryStage>(std::move(*kfl::Query::compile(query, error)));
          }};
}

}  // namespace

StageSpec keep_stage(const std::string& query) {
  return query_stage("keep", query);
}

StageSpec redact_stage(const std::vector<std::string>& fields) {
  return query_stage("redact", redact_query(fields));
}

}  // namespace trawl
