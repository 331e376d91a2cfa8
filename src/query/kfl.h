// KFL, the filter language (../shared/spec/kfl.md): a query is compiled once,
// then matched against entries without re-parsing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entries/entry.h"

namespace trawl::kfl {

struct Expr;
struct Selector;

// User-defined boolean macros: name -> KFL expression ("https" -> "tls and http").
using Macros = std::map<std::string, std::string, std::less<>>;

struct CompileError {
  int line = 1, column = 1;  // 1-based, where the problem was found
  std::string message;       // what was expected
  std::string text() const;  // "1:17: expected a value after '=='"
};

// What every matching entry must satisfy, as far as a store's index can use it.
struct QueryBounds {
  std::optional<std::vector<std::string>> protocols;  // nothing: any protocol
  int64_t min_us = INT64_MIN, max_us = INT64_MAX;     // timestamp range, inclusive
};

// Queries are bounded, and so is what they compile to: longer text is an
// error, and so are more regular expressions, or one whose program (and
// matching cache) would need more memory.
constexpr size_t kMaxQueryBytes = 64 * 1024;
constexpr int kMaxRegexes = 16;
constexpr int64_t kMaxRegexMemory = 256 * 1024;

class Query {
 public:
  // Compiles `text`; on a syntax error returns nothing and fills `error`.
  static std::optional<Query> compile(std::string_view text, CompileError& error,
                                      const Macros& macros = {});
  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;
  ~Query();

  bool matches(const Entry& entry) const;
  bool matches_everything() const { return !root_; }
  // Bounds implied by the query (protocol macros and timestamp comparisons
  // joined by `and`), so a scan can skip blocks that cannot match.
  QueryBounds bounds() const;
  // limit(n) in the query: stop after n matches.
  std::optional<uint64_t> limit() const { return limit_; }
  // The query looks at `id`, which only exists once entries are numbered in
  // output order (not, say, by one of several threads dissecting a capture).
  bool reads_id() const { return reads_id_; }
  // redact(...) in the query: replaces those values by "[REDACTED]".
  bool redacts() const;
  void redact(Entry& entry) const;

 private:
  Query();
  std::unique_ptr<Expr> root_;
  std::optional<uint64_t> limit_;
  bool reads_id_ = false;
  int regexes_ = 0;
  std::vector<std::unique_ptr<Selector>> redactions_;
  friend class Parser;
};

// Milliseconds since the epoch of an RFC 3339 time ("2026-11-27T08:00:00Z",
// fractions and offsets allowed) or Kubeshark's "11/27/2026, 8:00:00 AM" (UTC).
std::optional<int64_t> parse_datetime(std::string_view text);

}  // namespace trawl::kfl
