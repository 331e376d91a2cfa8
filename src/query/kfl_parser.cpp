// KFL text -> compiled Expr: a hand-written lexer and precedence-climbing parser
// whose errors name the line, the column and what was expected.
#include <cmath>
#include <stdexcept>

#include "base/text.h"
#include "entries/json.h"
#include "query/kfl_ast.h"

namespace trawl::kfl {

std::string CompileError::text() const {
  return std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

struct Token {
  enum class Kind : uint8_t { kEnd, kIdent, kString, kRegex, kInt, kDouble, kPunct };
  Kind kind = Kind::kEnd;
  std::string text;  // identifier, punctuation, or the decoded string
  int64_t integer = 0;
  double number = 0;
  size_t pos = 0;
};

struct SyntaxError {
  size_t pos;
  std::string message;
};

// A macro met again inside its own expansion: reported once, at the outermost use.
struct MacroLoop {
  size_t pos;
  std::string name;
};

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | c >> 6);
    out += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += char(0xE0 | c >> 12);
    out += char(0x80 | (c >> 6 & 0x3F));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xF0 | c >> 18);
    out += char(0x80 | (c >> 12 & 0x3F));
    out += char(0x80 | (c >> 6 & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  std::vector<Token> tokens() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t;
      t.pos = i_;
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      char c = s_[i_];
      if ((c == 'r' || c == 'R') && i_ + 1 < s_.size() && s_[i_ + 1] == '"') {
        t.kind = Token::Kind::kRegex;
        t.text = raw_string(i_ + 1);
      } else if (std::isalpha(uint8_t(c)) || c == '_') {
        size_t start = i_;
        while (i_ < s_.size() && (std::isalnum(uint8_t(s_[i_])) || s_[i_] == '_')) ++i_;
        t.kind = Token::Kind::kIdent;
        t.text = std::string(s_.substr(start, i_ - start));
      } else if (std::isdigit(uint8_t(c))) {
        number(t);
      } else if (c == '"' || c == '\'') {
        t.kind = Token::Kind::kString;
        t.text = quoted(c);
      } else {
        t.kind = Token::Kind::kPunct;
        static const char* const kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
        for (const char* two : kTwo)
          if (s_.substr(i_, 2) == two) t.text = two;
        if (t.text.empty()) {
          if (std::string_view("()[],.*<>!-+=").find(c) == std::string_view::npos)
            throw SyntaxError{i_, std::string("unexpected character '") + c + "'"};
          t.text = std::string(1, c);
          if (c == '=') throw SyntaxError{i_, "'=' is not an operator: use '=='"};
        }
        i_ += t.text.size();
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_space() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(uint8_t(s_[i_]))) ++i_;
      if (s_.substr(i_, 2) != "//") return;
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    }
  }

  void number(Token& t) {
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(uint8_t(s_[i_]))) ++i_;
    bool decimal = false;
    if (i_ + 1 < s_.size() && s_[i_] == '.' && std::isdigit(uint8_t(s_[i_ + 1]))) {
      decimal = true;
      ++i_;
      while (i_ < s_.size() && std::isdigit(uint8_t(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t save = i_++;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ < s_.size() && std::isdigit(uint8_t(s_[i_]))) {
        decimal = true;
        while (i_ < s_.size() && std::isdigit(uint8_t(s_[i_]))) ++i_;
      } else {
        i_ = save;
      }
    }
    std::string text(s_.substr(start, i_ - start));
    if (decimal) {
      t.kind = Token::Kind::kDouble;
      t.number = std::strtod(text.c_str(), nullptr);
      return;
    }
    t.kind = Token::Kind::kInt;
    errno = 0;
    unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
    if (errno == ERANGE || v > uint64_t(INT64_MAX)) throw SyntaxError{start, "number out of range"};
    t.integer = int64_t(v);
  }

  // A JSON-style string in double (or CEL's single) quotes.
  std::string quoted(char quote) {
    size_t start = i_++;
    std::string out;
    while (i_ < s_.size() && s_[i_] != quote) {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\'':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t c1 = hex4(i_ - 2);
          if (c1 >= 0xD800 && c1 < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            i_ += 2;
            uint32_t c2 = hex4(i_ - 2);
            c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
          }
          append_utf8(out, c1);
          break;
        }
        default:
          throw SyntaxError{i_ - 2, std::string("unknown escape '\\") + e + "' in a string"};
      }
    }
    if (i_ >= s_.size()) throw SyntaxError{start, "unterminated string"};
    ++i_;
    return out;
  }

  uint32_t hex4(size_t at) {
    if (i_ + 4 > s_.size()) throw SyntaxError{at, "expected four hex digits after \\u"};
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      int d = std::isdigit(uint8_t(h)) ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (d < 0) throw SyntaxError{at, "expected four hex digits after \\u"};
      v = v << 4 | uint32_t(d);
    }
    return v;
  }

  // r"...": the pattern verbatim; \" keeps a quote inside it.
  std::string raw_string(size_t quote_at) {
    size_t start = i_;
    i_ = quote_at + 1;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) out += s_[i_++];
      out += s_[i_++];
    }
    if (i_ >= s_.size()) throw SyntaxError{start, "unterminated regular expression"};
    ++i_;
    return out;
  }

  std::string_view s_;
  size_t i_ = 0;
};

constexpr int kMaxMacroDepth = 16;
constexpr int kMaxNesting = 64;

}  // namespace

class Parser {
 public:
  Parser(std::string_view text, const Macros& macros, Query& query, int depth)
      : text_(text), macros_(macros), query_(query), depth_(depth) {
    tokens_ = Lexer(text).tokens();
  }

  std::unique_ptr<Expr> parse_all() {
    if (peek().kind == Token::Kind::kEnd) return nullptr;
    auto e = parse_or();
    if (peek().kind != Token::Kind::kEnd)
      fail(peek(), "expected 'and', 'or' or the end of the query, found " + describe(peek()));
    return e;
  }

  // A selector given as a string (redact's arguments), parsed on its own.
  Selector parse_selector_only() {
    const Token& t = peek();
    if (t.kind != Token::Kind::kIdent) fail(t, "expected a selector such as request.headers.x");
    Operand o = parse_postfix();
    if (o.kind != Operand::Kind::kSelector || peek().kind != Token::Kind::kEnd)
      fail(peek(), "expected a selector such as request.headers.x");
    return std::move(o.selector);
  }

 private:
  // A chain of `or` (or of `and`) is one node with its terms in a list, so long
  // generated queries do not nest; only parentheses, `not` and `-` nest, and
  // they are bounded (kMaxNesting) so no query can exhaust the stack.
  std::unique_ptr<Expr> parse_or() { return parse_chain(Expr::Kind::kOr, "or", "||"); }
  std::unique_ptr<Expr> parse_and() { return parse_chain(Expr::Kind::kAnd, "and", "&&"); }

  std::unique_ptr<Expr> parse_chain(Expr::Kind kind, std::string_view word,
                                    std::string_view symbol) {
    auto term = [&] { return kind == Expr::Kind::kOr ? parse_and() : parse_not(); };
    auto first = term();
    if (!(is_word(word) || is_punct(symbol))) return first;
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->terms.push_back(std::move(first));
    while (is_word(word) || is_punct(symbol)) {
      next();
      e->terms.push_back(term());
    }
    return e;
  }

  std::unique_ptr<Expr> parse_not() {
    if (is_word("not") || is_punct("!")) {
      Nesting guard(*this, peek());
      next();
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kNot;
      e->terms.push_back(parse_not());
      return e;
    }
    return parse_comparison();
  }

  // Counts open parentheses, negations and minus signs on the way down.
  struct Nesting {
    Nesting(Parser& p, const Token& at) : parser(p) {
      if (++parser.nesting_ > kMaxNesting)
        parser.fail(at, "nested more than " + std::to_string(kMaxNesting) + " levels deep");
    }
    ~Nesting() { --parser.nesting_; }
    Parser& parser;
  };

  std::unique_ptr<Expr> parse_comparison() {
    const Token& t = peek();
    if (is_punct("(")) {
      Nesting guard(*this, t);
      next();
      auto e = parse_or();
      expect(")", "to close '('");
      return e;
    }
    if (t.kind == Token::Kind::kEnd)
      fail(t, pos_ == 0 ? "expected an expression"
                        : "expected an expression after " + describe(tokens_[pos_ - 1]));
    if (t.kind == Token::Kind::kIdent && peek(1).kind == Token::Kind::kPunct &&
        peek(1).text == "(") {
      if (t.text == "limit") return parse_limit();
      if (t.text == "redact") return parse_redact();
      if (t.text == "has") return parse_has();
    }
    if (t.kind == Token::Kind::kIdent && ends_operand(peek(1)))
      if (auto e = parse_lone_name(t)) return e;
    size_t operand_at = pos_;
    StringMethod method = StringMethod::kContains;
    std::string argument;
    Operand lhs = parse_operand(&method, &argument);
    if (method_found_) {
      method_found_ = false;
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kMethod;
      e->method = method;
      e->text = std::move(argument);
      e->lhs = std::move(lhs);
      if (method == StringMethod::kMatches) e->regex = compile_regex(tokens_[operand_at], e->text);
      return e;
    }
    if (is_word("in")) return parse_in(std::move(lhs));
    if (peek().kind == Token::Kind::kPunct)
      if (auto e = parse_compare(lhs)) return e;
    if (lhs.kind == Operand::Kind::kLiteral)
      fail(tokens_[operand_at], "expected a comparison after " + describe(tokens_[operand_at]));
    if (lhs.kind != Operand::Kind::kSelector)
      fail(peek(), "expected a comparison operator, found " + describe(peek()));
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kTruthy;
    e->lhs = std::move(lhs);
    return e;
  }

  // A name not followed by an operator: true, false, a protocol or a macro;
  // null for a selector (truthy).
  std::unique_ptr<Expr> parse_lone_name(const Token& t) {
    if (t.text == "true" || t.text == "false") {
      next();
      return constant(t.text == "true");
    }
    std::string_view name = protocol_named(t.text);
    if (!name.empty()) {
      next();
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kProtocolIs;
      e->text = std::string(name);
      return e;
    }
    if (auto m = macros_.find(t.text); m != macros_.end()) {
      next();
      return expand_macro(t, m->second);
    }
    return nullptr;
  }

  std::unique_ptr<Expr> parse_in(Operand lhs) {
    next();
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kIn;
    e->lhs = std::move(lhs);
    if (!is_punct("[")) fail(peek(), "expected '[' after 'in'");
    next();
    while (!is_punct("]")) {
      if (peek().kind == Token::Kind::kEnd) fail(peek(), "expected ']' to close the list");
      e->list.push_back(parse_operand(nullptr, nullptr));
      if (is_punct(","))
        next();
      else if (!is_punct("]"))
        fail(peek(), "expected ',' or ']' in the list");
    }
    next();
    return e;
  }

  // `lhs` and a comparison operator; null (lhs untouched) when none follows.
  std::unique_ptr<Expr> parse_compare(Operand& lhs) {
    static const std::pair<const char*, CompareOp> kOps[] = {
        {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<=", CompareOp::kLe},
        {">=", CompareOp::kGe}, {"<", CompareOp::kLt},  {">", CompareOp::kGt}};
    for (const auto& [text, op] : kOps) {
      if (peek().text != text) continue;
      const Token& op_token = next();
      auto e = std::make_unique<Expr>();
      e->op = op;
      e->lhs = std::move(lhs);
      if (peek().kind == Token::Kind::kRegex) {
        if (op != CompareOp::kEq && op != CompareOp::kNe)
          fail(peek(), "a regular expression can only follow '==' or '!='");
        e->kind = Expr::Kind::kRegex;
        e->regex = compile_regex(peek(), peek().text);
        next();
        return e;
      }
      if (!starts_operand(peek()))
        fail(peek(), std::string("expected a value after '") + op_token.text + "'");
      e->kind = Expr::Kind::kCompare;
      e->rhs = parse_operand(nullptr, nullptr);
      return e;
    }
    return nullptr;
  }

  std::unique_ptr<Expr> parse_limit() {
    const Token& name = next();
    next();  // (
    if (peek().kind != Token::Kind::kInt) fail(peek(), "expected a whole number in limit()");
    int64_t n = next().integer;
    expect(")", "to close limit(");
    if (query_.limit_) fail(name, "limit() given twice");
    query_.limit_ = uint64_t(n);
    return constant(true);
  }

  std::unique_ptr<Expr> parse_redact() {
    next();
    next();  // (
    while (!is_punct(")")) {
      const Token& t = peek();
      if (t.kind != Token::Kind::kString)
        fail(t, "expected a quoted selector in redact(), like \"request.headers.authorization\"");
      next();
      Selector s;
      try {
        Parser inner(t.text, macros_, query_, depth_ + 1);
        s = inner.parse_selector_only();
      } catch (const SyntaxError& e) {
        fail(t, "in redact(\"" + t.text + "\"): " + e.message);
      }
      if (s.root != Root::kRequest && s.root != Root::kResponse)
        fail(t, "redact() takes selectors under request or response");
      query_.redactions_.push_back(std::make_unique<Selector>(std::move(s)));
      if (is_punct(","))
        next();
      else if (!is_punct(")"))
        fail(peek(), "expected ',' or ')' in redact()");
    }
    next();
    return constant(true);
  }

  // CEL's has(selector): the selector exists.
  std::unique_ptr<Expr> parse_has() {
    next();
    next();  // (
    Operand o = parse_operand(nullptr, nullptr);
    if (o.kind != Operand::Kind::kSelector) fail(peek(), "has() takes a selector");
    expect(")", "to close has(");
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kExists;
    e->lhs = std::move(o);
    return e;
  }

  std::unique_ptr<Expr> expand_macro(const Token& at, const std::string& body) {
    if (depth_ >= kMaxMacroDepth) throw MacroLoop{at.pos, at.text};
    try {
      Parser inner(body, macros_, query_, depth_ + 1);
      auto e = inner.parse_all();
      return e ? std::move(e) : constant(true);
    } catch (const SyntaxError& err) {
      CompileError inner_error = locate(body, err);
      fail(at, "in macro '" + at.text + "': " + inner_error.text());
    } catch (const MacroLoop& loop) {
      throw MacroLoop{at.pos, loop.name};
    }
  }

  // operand := term (('+' | '-') term)*
  Operand parse_operand(StringMethod* method, std::string* argument) {
    Operand left = parse_term(method, argument);
    for (int terms = 1; (is_punct("+") || is_punct("-")) && !method_found_; ++terms) {
      if (terms >= kMaxNesting)
        fail(peek(), "more than " + std::to_string(kMaxNesting) + " terms in a sum");
      bool add = next().text == "+";
      Operand sum;
      sum.kind = add ? Operand::Kind::kAdd : Operand::Kind::kSubtract;
      sum.left = std::make_unique<Operand>(std::move(left));
      sum.right = std::make_unique<Operand>(parse_term(nullptr, nullptr));
      fold(sum);
      left = std::move(sum);
    }
    return left;
  }

  Operand parse_term(StringMethod* method, std::string* argument) {
    if (is_punct("-")) {
      Nesting guard(*this, peek());
      next();
      Operand inner = parse_term(nullptr, nullptr);
      Operand neg;
      neg.kind = Operand::Kind::kNegate;
      neg.left = std::make_unique<Operand>(std::move(inner));
      fold(neg);
      return neg;
    }
    return parse_postfix(method, argument);
  }

  // A literal, or nothing when the token starts a selector or a function.
  std::optional<Operand> parse_literal(const Token& t) {
    Operand o;
    switch (t.kind) {
      case Token::Kind::kInt:
        o.literal = t.integer;
        break;
      case Token::Kind::kDouble:
        o.literal = t.number;
        break;
      case Token::Kind::kString:
        o.literal = t.text;
        break;
      case Token::Kind::kIdent:
        if (t.text == "true" || t.text == "false")
          o.literal = t.text == "true";
        else if (t.text != "nil" && t.text != "null")
          return std::nullopt;
        break;
      default:
        fail(t, "expected a value, found " + describe(t));
    }
    next();
    return o;
  }

  Operand parse_postfix(StringMethod* method = nullptr, std::string* argument = nullptr) {
    const Token& t = peek();
    if (std::optional<Operand> literal = parse_literal(t)) return std::move(*literal);
    if (is_punct_at(1, "(")) return parse_function();
    next();
    Operand o;
    o.kind = Operand::Kind::kSelector;
    std::vector<Step> steps;
    steps.push_back({Step::Kind::kKey, t.text, 0});
    for (;;) {
      if (is_punct(".")) {
        next();
        if (is_punct("*")) {
          next();
          steps.push_back({Step::Kind::kAny, "", 0});
          continue;
        }
        const Token& name = peek();
        if (name.kind != Token::Kind::kIdent) fail(name, "expected a field name after '.'");
        next();
        if (!is_punct("(")) {
          steps.push_back({Step::Kind::kKey, name.text, 0});
          continue;
        }
        next();
        if (parse_call(name, steps, method, argument)) break;  // a string method ends it
        continue;
      }
      if (!is_punct("[")) break;
      parse_bracket(steps);
    }
    o.selector = selector(std::move(steps));
    return o;
  }

  // `.name(` read: json() and size() are steps; a string method (startsWith,
  // ...) ends the selector as a condition (true).
  bool parse_call(const Token& name, std::vector<Step>& steps, StringMethod* method,
                  std::string* argument) {
    if (name.text == "json" || name.text == "size") {
      expect(")", "to close " + name.text + "(");
      steps.push_back({name.text == "json" ? Step::Kind::kJson : Step::Kind::kSize, "", 0});
      return false;
    }
    static const std::pair<const char*, StringMethod> kMethods[] = {
        {"startsWith", StringMethod::kStartsWith},
        {"endsWith", StringMethod::kEndsWith},
        {"contains", StringMethod::kContains},
        {"matches", StringMethod::kMatches}};
    for (const auto& [mname, m] : kMethods) {
      if (name.text != mname) continue;
      if (!method) fail(name, "." + name.text + "() is a condition, not a value");
      if (peek().kind != Token::Kind::kString)
        fail(peek(), "expected a quoted string in ." + name.text + "()");
      *method = m;
      *argument = next().text;
      method_found_ = true;
      expect(")", "to close ." + name.text + "(");
      return true;
    }
    fail(name, "unknown method ." + name.text + "()");
  }

  // `[` read: a quoted key, an index or `*`, then `]`.
  void parse_bracket(std::vector<Step>& steps) {
    next();
    const Token& k = peek();
    if (k.kind == Token::Kind::kString)
      steps.push_back({Step::Kind::kKey, k.text, 0});
    else if (k.kind == Token::Kind::kInt)
      steps.push_back({Step::Kind::kIndex, "", k.integer});
    else if (k.kind == Token::Kind::kPunct && k.text == "*")
      steps.push_back({Step::Kind::kAny, "", 0});
    else
      fail(k, "expected a quoted key, an index or '*' inside [ ]");
    next();
    expect("]", "to close '['");
  }

  Operand parse_function() {
    const Token& name = next();
    next();  // (
    Operand o;
    int64_t unit = 0;
    if (name.text == "now") {
      expect(")", "to close now(");
      o.kind = Operand::Kind::kNow;
      return o;
    }
    if (name.text == "seconds")
      unit = 1000;
    else if (name.text == "minutes")
      unit = 60 * 1000;
    else if (name.text == "hours")
      unit = 3600 * 1000;
    else if (name.text == "days")
      unit = 86400 * 1000;
    if (unit) {
      const Token& n = peek();
      if (n.kind == Token::Kind::kInt)
        o.literal = n.integer * unit;
      else if (n.kind == Token::Kind::kDouble)
        o.literal = n.number * double(unit);
      else
        fail(n, "expected a number in " + name.text + "()");
      next();
      expect(")", "to close " + name.text + "(");
      return o;
    }
    if (name.text == "datetime") {
      const Token& s = peek();
      if (s.kind != Token::Kind::kString) fail(s, "expected a quoted time in datetime()");
      auto ms = parse_datetime(s.text);
      if (!ms) fail(s, "not a time: \"" + s.text + "\" (use 2026-11-27T08:00:00Z)");
      next();
      expect(")", "to close datetime(");
      o.literal = *ms;
      return o;
    }
    if (name.text == "size") {  // CEL's size(x)
      Operand inner = parse_operand(nullptr, nullptr);
      if (inner.kind != Operand::Kind::kSelector) fail(name, "size() takes a selector");
      expect(")", "to close size(");
      inner.selector.steps.push_back({Step::Kind::kSize, "", 0});
      return inner;
    }
    if (name.text == "limit" || name.text == "redact" || name.text == "has")
      fail(name, name.text + "() is a condition, not a value");
    fail(name, "unknown function " + name.text + "()");
  }

  Selector selector(std::vector<Step> steps) {
    Selector s = resolve(std::move(steps));
    if (s.field && s.field->group.empty() && s.field->key == "id") query_.reads_id_ = true;
    return s;
  }

  // Entry fields outside request/response become roots at compile time.
  static Selector resolve(std::vector<Step> steps) {
    Selector s;
    const std::string& first = steps[0].key;
    size_t used = 1;
    const EntryField* field = nullptr;
    if (first == "request") {
      s.root = Root::kRequest;
    } else if (first == "response") {
      s.root = Root::kResponse;
    } else if (steps.size() > 1 && steps[1].kind == Step::Kind::kKey &&
               (field = find_entry_field(first, steps[1].key))) {
      s.root = Root::kField, s.field = field, used = 2;
    } else if ((field = find_entry_field("", first))) {
      s.root = Root::kField, s.field = field;
    } else if (is_entry_group(first)) {
      s.root = Root::kGroup, s.group = first;
    }
    // Header names are case-insensitive: entries hold them lower-cased.
    for (size_t i = 1; i < steps.size(); ++i)
      if (steps[i].kind == Step::Kind::kKey && steps[i - 1].kind == Step::Kind::kKey &&
          steps[i - 1].key == "headers")
        steps[i].key = to_lower(steps[i].key);
    for (Step& step : steps) {
      if (step.kind != Step::Kind::kKey) continue;
      write_json_string(step.written_key, step.key);
      step.written_key = step.written_key.substr(1, step.written_key.size() - 2);  // no quotes
    }
    s.steps.assign(std::make_move_iterator(steps.begin() + long(used)),
                   std::make_move_iterator(steps.end()));
    return s;
  }

  // Arithmetic on literals is done now, so evaluation meets one number.
  static void fold(Operand& o) {
    auto number = [](const Operand* x, double& d, bool& integer) {
      if (!x || x->kind != Operand::Kind::kLiteral) return false;
      if (auto i = std::get_if<int64_t>(&x->literal)) return d = double(*i), integer = true, true;
      if (auto f = std::get_if<double>(&x->literal)) return d = *f, integer = false, true;
      return false;
    };
    double a = 0, b = 0;
    bool ia = false, ib = false;
    if (o.kind == Operand::Kind::kNegate && number(o.left.get(), a, ia)) {
      if (ia)
        o.literal = -std::get<int64_t>(o.left->literal);
      else
        o.literal = -a;
    } else if ((o.kind == Operand::Kind::kAdd || o.kind == Operand::Kind::kSubtract) &&
               number(o.left.get(), a, ia) && number(o.right.get(), b, ib)) {
      bool add = o.kind == Operand::Kind::kAdd;
      if (ia && ib) {
        int64_t x = std::get<int64_t>(o.left->literal), y = std::get<int64_t>(o.right->literal), r;
        bool overflow = add ? __builtin_add_overflow(x, y, &r) : __builtin_sub_overflow(x, y, &r);
        if (overflow)
          o.literal = add ? a + b : a - b;
        else
          o.literal = r;
      } else {
        o.literal = add ? a + b : a - b;
      }
    } else {
      return;
    }
    o.kind = Operand::Kind::kLiteral;
    o.left.reset();
    o.right.reset();
  }

  std::unique_ptr<RE2> compile_regex(const Token& at, const std::string& pattern) {
    if (++query_.regexes_ > kMaxRegexes)
      fail(at, "more than " + std::to_string(kMaxRegexes) + " regular expressions in one query");
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kMaxRegexMemory);
    auto re = std::make_unique<RE2>(pattern, options);
    if (re->error_code() == RE2::ErrorPatternTooLarge)
      fail(at, "regular expression too large (its program would need more than " +
                   std::to_string(kMaxRegexMemory / 1024) + " KiB)");
    if (!re->ok()) fail(at, "invalid regular expression: " + re->error());
    return re;
  }

  static std::unique_ptr<Expr> constant(bool value) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kConstant;
    e->constant = value;
    return e;
  }

  static bool ends_operand(const Token& t) {
    if (t.kind == Token::Kind::kEnd) return true;
    if (t.kind == Token::Kind::kIdent) return t.text == "and" || t.text == "or";
    return t.kind == Token::Kind::kPunct && (t.text == ")" || t.text == "&&" || t.text == "||");
  }
  static bool starts_operand(const Token& t) {
    return t.kind == Token::Kind::kIdent || t.kind == Token::Kind::kString ||
           t.kind == Token::Kind::kInt || t.kind == Token::Kind::kDouble ||
           (t.kind == Token::Kind::kPunct && t.text == "-");
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kEnd:
        return "the end of the query";
      case Token::Kind::kString:
        return "\"" + t.text + "\"";
      case Token::Kind::kRegex:
        return "r\"" + t.text + "\"";
      case Token::Kind::kInt:
        return std::to_string(t.integer);
      default:
        return "'" + t.text + "'";
    }
  }

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool is_word(std::string_view w) const {
    return peek().kind == Token::Kind::kIdent && peek().text == w;
  }
  bool is_punct(std::string_view p) const { return is_punct_at(0, p); }
  bool is_punct_at(size_t ahead, std::string_view p) const {
    return peek(ahead).kind == Token::Kind::kPunct && peek(ahead).text == p;
  }
  void expect(std::string_view p, const std::string& why) {
    if (!is_punct(p))
      fail(peek(), "expected '" + std::string(p) + "' " + why + ", found " + describe(peek()));
    next();
  }
  [[noreturn]] void fail(const Token& t, std::string message) const {
    throw SyntaxError{t.pos, std::move(message)};
  }

 public:
  static CompileError locate(std::string_view text, const SyntaxError& e) {
    CompileError out;
    out.message = e.message;
    for (size_t i = 0; i < e.pos && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++out.line;
        out.column = 1;
      } else if ((uint8_t(text[i]) & 0xC0) != 0x80) {
        ++out.column;
      }
    }
    return out;
  }

 private:
  std::string_view text_;
  const Macros& macros_;
  Query& query_;
  int depth_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool method_found_ = false;
  int nesting_ = 0;
};

Query::Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

std::optional<Query> Query::compile(std::string_view text, CompileError& error,
                                    const Macros& macros) {
  Query q;
  if (text.size() > kMaxQueryBytes) {
    error.message = "the query is longer than " + std::to_string(kMaxQueryBytes) + " bytes";
    return std::nullopt;
  }
  try {
    Parser p(text, macros, q, 0);
    q.root_ = p.parse_all();
  } catch (const SyntaxError& e) {
    error = Parser::locate(text, e);
    return std::nullopt;
  } catch (const MacroLoop& loop) {
    error = Parser::locate(text,
                           SyntaxError{loop.pos, "macro '" + loop.name + "' expands into itself"});
    return std::nullopt;
  }
  return q;
}

}  // namespace trawl::kfl
