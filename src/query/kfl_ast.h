// KFL's compiled form, shared by the parser and the evaluator.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "entries/fields.h"
#include "query/kfl.h"

namespace trawl::kfl {

// Where a selector starts: entry fields are resolved once, at compile time.
enum class Root : uint8_t {
  kRequest,
  kResponse,
  kField,    // one of entries/fields.h's fields
  kGroup,    // an object of them (protocol, src, ...), built when selected
  kMissing,  // a field entries do not have: never matches
};

struct Step {
  enum class Kind : uint8_t { kKey, kIndex, kAny, kJson, kSize };
  Kind kind = Kind::kKey;
  std::string key;
  int64_t index = 0;
  // The key as it appears in JSON text, escaped as trawl writes it (stored
  // entries are compared against it in place); set at compile time.
  std::string written_key;
};

struct Selector {
  Root root = Root::kMissing;
  const EntryField* field = nullptr;  // kField
  std::string group;                  // kGroup
  std::vector<Step> steps;
};

using Literal = std::variant<std::monostate, bool, int64_t, double, std::string>;

// A value-producing operand: a literal, a selector, now(), or arithmetic.
struct Operand {
  enum class Kind : uint8_t { kLiteral, kSelector, kNow, kAdd, kSubtract, kNegate };
  Kind kind = Kind::kLiteral;
  Literal literal;
  Selector selector;
  std::unique_ptr<Operand> left, right;
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
enum class StringMethod : uint8_t { kStartsWith, kEndsWith, kContains, kMatches };

struct Expr {
  enum class Kind : uint8_t {
    kAnd,
    kOr,
    kNot,
    kConstant,    // true/false, limit() and redact()
    kProtocolIs,  // a protocol macro
    kCompare,
    kRegex,  // == r"..." / != r"..."
    kIn,
    kMethod,  // .startsWith() ...
    kTruthy,  // a bare selector
    kExists,  // CEL's has(selector)
  };
  Kind kind = Kind::kConstant;
  bool constant = true;
  std::vector<std::unique_ptr<Expr>> terms;  // kAnd, kOr: every term; kNot: one
  std::string text;                          // kProtocolIs: the name; kMethod: the argument
  CompareOp op = CompareOp::kEq;
  StringMethod method = StringMethod::kContains;
  Operand lhs, rhs;
  std::vector<Operand> list;
  std::unique_ptr<RE2> regex;
};

}  // namespace trawl::kfl
