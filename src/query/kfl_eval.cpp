// Evaluation of compiled KFL over entries, and redaction.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "entries/json_parse.h"
#include "query/kfl_ast.h"

namespace trawl::kfl {

namespace {

// A value met while evaluating: borrowed from the entry or the context.
struct Value {
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kJson };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;
  const Json* j = nullptr;

  static Value of_int(int64_t v) { return {Kind::kInt, false, v, 0, {}, nullptr}; }
  static Value of_double(double v) { return {Kind::kDouble, false, 0, v, {}, nullptr}; }
  static Value of_string(std::string_view v) { return {Kind::kString, false, 0, 0, v, nullptr}; }
  static Value of_bool(bool v) { return {Kind::kBool, v, 0, 0, {}, nullptr}; }
  bool numeric() const { return kind == Kind::kInt || kind == Kind::kDouble; }
  double as_double() const { return kind == Kind::kInt ? double(i) : d; }
};

Value from_json(const Json& j) {
  if (j.is_string()) return Value::of_string(j.str());
  if (j.is_int()) return Value::of_int(j.integer());
  if (j.is_double()) return Value::of_double(j.number());
  if (j.is_bool()) return Value::of_bool(j.boolean());
  if (j.is_null()) return {};
  return {Value::Kind::kJson, false, 0, 0, {}, &j};
}

Value from_literal(const Literal& l) {
  if (auto b = std::get_if<bool>(&l)) return Value::of_bool(*b);
  if (auto i = std::get_if<int64_t>(&l)) return Value::of_int(*i);
  if (auto d = std::get_if<double>(&l)) return Value::of_double(*d);
  if (auto s = std::get_if<std::string>(&l)) return Value::of_string(*s);
  return {};
}

// Storage for what evaluation makes (parsed bodies, ids as text); empty, and
// free of allocation, for most queries.
struct Context {
  const Entry& entry;
  int64_t now_ms;
  std::vector<std::unique_ptr<Json>> json;
  std::vector<std::unique_ptr<std::string>> text;

  const Json& keep(Json j) { return *json.emplace_back(std::make_unique<Json>(std::move(j))); }
  std::string_view keep(std::string s) {
    return *text.emplace_back(std::make_unique<std::string>(std::move(s)));
  }
};

// A non-owning callable reference: evaluation nests callbacks, and templates
// would instantiate without end.
class Visitor {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, Visitor>)
      Visitor(F&& f)  // NOLINT: converts from any callable, like std::function_ref
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, const Value& v) {
          return (*static_cast<std::remove_reference_t<F>*>(o))(v);
        }) {}
  bool operator()(const Value& v) const { return call_(object_, v); }

 private:
  void* object_;
  bool (*call_)(void*, const Value&);
};

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

bool walk(const Value& v, const std::vector<Step>& steps, size_t at, Context& c, Visitor visit);

// A top-level member of compact JSON text (as trawl writes it: no spaces),
// found without indexing the whole document: `response.status` is the first
// member of a response whose body may be kilobytes long. Strings with escapes,
// objects, arrays and unusual numbers are left to simdjson (kUnsure), so the
// values found are exactly the ones it would give.
enum class Shallow { kFound, kMissing, kUnsure };

// The end of the string whose opening quote is at `p`, or npos.
size_t skip_string(std::string_view t, size_t p) {
  for (size_t q = p + 1;;) {
    q = t.find('"', q);
    if (q == std::string_view::npos) return q;
    size_t slashes = 0;
    while (t[q - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 0) return q + 1;
    q += 1;
  }
}

// The end of the value starting at `p` (a string, object, array or scalar), or npos.
size_t skip_value(std::string_view t, size_t p) {
  if (p >= t.size()) return std::string_view::npos;
  if (t[p] == '"') return skip_string(t, p);
  if (t[p] == '{' || t[p] == '[') {
    int depth = 0;
    while (p < t.size()) {
      char ch = t[p];
      if (ch == '"') {
        p = skip_string(t, p);
        if (p == std::string_view::npos) return p;
        continue;
      }
      if (ch == '{' || ch == '[') ++depth;
      if (ch == '}' || ch == ']') {
        if (--depth == 0) return p + 1;
      }
      ++p;
    }
    return std::string_view::npos;
  }
  while (p < t.size() && t[p] != ',' && t[p] != '}' && t[p] != ']') ++p;
  return p;
}

// `key` as it appears in the text: JSON-escaped the way trawl writes it.
Shallow find_member(std::string_view t, std::string_view key, Value& out) {
  if (t.empty() || t[0] != '{') return Shallow::kUnsure;
  size_t p = 1;
  if (p < t.size() && t[p] == '}') return Shallow::kMissing;
  while (p < t.size()) {
    if (t[p] != '"') return Shallow::kUnsure;
    size_t end = skip_string(t, p);
    if (end == std::string_view::npos || end >= t.size() || t[end] != ':') return Shallow::kUnsure;
    std::string_view name = t.substr(p + 1, end - p - 2);
    p = end + 1;
    if (name == key) {
      size_t stop = skip_value(t, p);
      if (stop == std::string_view::npos) return Shallow::kUnsure;
      std::string_view v = t.substr(p, stop - p);
      if (v.size() >= 2 && v.front() == '"') {
        std::string_view inner = v.substr(1, v.size() - 2);
        if (inner.find('\\') != std::string_view::npos) return Shallow::kUnsure;
        out = Value::of_string(inner);
        return Shallow::kFound;
      }
      if (v == "true" || v == "false") {
        out = Value::of_bool(v == "true");
        return Shallow::kFound;
      }
      if (v == "null") {
        out = Value();
        return Shallow::kFound;
      }
      // Plain integers only (no sign on zero, no fraction or exponent, 18 digits at most).
      std::string_view digits = v.substr(v.starts_with('-') ? 1 : 0);
      if (digits.empty() || digits.size() > 18 || (digits[0] == '0' && v.size() > 1))
        return Shallow::kUnsure;
      for (char ch : digits)
        if (ch < '0' || ch > '9') return Shallow::kUnsure;
      int64_t n = 0;
      std::from_chars(v.data(), v.data() + v.size(), n);
      out = Value::of_int(n);
      return Shallow::kFound;
    }
    p = skip_value(t, p);
    if (p == std::string_view::npos || p >= t.size()) return Shallow::kUnsure;
    if (t[p] == '}') return Shallow::kMissing;
    if (t[p] != ',') return Shallow::kUnsure;
    ++p;
  }
  return Shallow::kUnsure;
}

// The JSON pointer of the key and index steps from `at` on; `end` is set to
// the first step past them.
std::string json_pointer(const std::vector<Step>& steps, size_t at, size_t& end) {
  std::string pointer;
  for (end = at; end < steps.size(); ++end) {
    const Step& s = steps[end];
    if (s.kind == Step::Kind::kKey) {
      pointer += '/';
      for (char ch : s.written_key) {  // JSON pointer escapes
        if (ch == '~')
          pointer += "~0";
        else if (ch == '/')
          pointer += "~1";
        else
          pointer += ch;
      }
    } else if (s.kind == Step::Kind::kIndex && s.index >= 0) {
      pointer += '/' + std::to_string(s.index);
    } else {
      break;
    }
  }
  return pointer;
}

// The value simdjson found as a KFL value; an object or array there is parsed
// alone. False if it cannot be read.
bool value_of(simdjson::ondemand::value& found, Context& c, Value& out) {
  simdjson::ondemand::json_type type;
  if (found.type().get(type)) return false;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view sv;
      if (found.get_string().get(sv)) return false;
      out = Value::of_string(c.keep(std::string(sv)));
      break;
    }
    case simdjson::ondemand::json_type::number: {
      simdjson::ondemand::number_type nt;
      if (found.get_number_type().get(nt)) return false;
      if (nt == simdjson::ondemand::number_type::signed_integer) {
        int64_t i;
        if (found.get_int64().get(i)) return false;
        out = Value::of_int(i);
      } else if (nt == simdjson::ondemand::number_type::unsigned_integer) {
        uint64_t u;
        if (found.get_uint64().get(u)) return false;
        out = Value::of_string(c.keep(std::to_string(u)));  // as parse_json keeps it
      } else {
        double d;
        if (found.get_double().get(d)) return false;
        out = Value::of_double(d);
      }
      break;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (found.get_bool().get(b)) return false;
      out = Value::of_bool(b);
      break;
    }
    case simdjson::ondemand::json_type::null:
      break;
    default: {  // an object or array: that part alone is parsed
      std::string_view part;
      if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object o;
        if (found.get_object().get(o) || o.raw_json().get(part)) return false;
      } else {
        simdjson::ondemand::array a;
        if (found.get_array().get(a) || a.raw_json().get(part)) return false;
      }
      Json parsed;
      if (!parse_json(part, parsed)) return false;
      out = from_json(c.keep(std::move(parsed)));
    }
  }
  return true;
}

// Follows keys and indexes into JSON text without building a tree (stored
// entries keep request and response as text): only what the path reaches is
// turned into a value, and only an object or array there is parsed.
// Keys are compared as they are written in the text (simdjson compares field
// names as raw, escaped text): Step::written_key.
bool walk_raw(const std::string& text, const std::vector<Step>& steps, size_t at, Context& c,
              Visitor visit) {
  if (steps[at].kind == Step::Kind::kKey) {
    Value member;
    switch (find_member(text, steps[at].written_key, member)) {
      case Shallow::kFound:
        return walk(member, steps, at + 1, c, visit);
      case Shallow::kMissing:
        return false;
      case Shallow::kUnsure:
        break;
    }
  }
  size_t end;
  std::string pointer = json_pointer(steps, at, end);
  static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string copy;
  const std::string* input = &text;
  if (text.capacity() - text.size() < simdjson::SIMDJSON_PADDING) {
    copy.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    copy.assign(text);
    input = &copy;
  }
  simdjson::ondemand::document doc;
  if (parser.iterate(input->data(), input->size(), input->capacity()).get(doc)) return false;
  simdjson::ondemand::value found;
  if (doc.at_pointer(pointer).get(found)) return false;  // not there: like a missing key
  Value out;
  if (!value_of(found, c, out)) return false;
  return walk(out, steps, end, c, visit);
}

// Visits every value the steps reach from `v`; stops (and returns true) as soon
// as `visit` returns true: KFL's "any" semantics for `*`.
bool walk(const Value& v, const std::vector<Step>& steps, size_t at, Context& c, Visitor visit) {
  if (v.kind == Value::Kind::kJson && v.j->is_raw()) {  // parsed only when a query looks inside
    if (at < steps.size() && (steps[at].kind == Step::Kind::kKey ||
                              (steps[at].kind == Step::Kind::kIndex && steps[at].index >= 0)))
      return walk_raw(v.j->raw_text(), steps, at, c, visit);
    Json parsed;
    if (!parse_json(v.j->raw_text(), parsed)) return false;
    return walk(from_json(c.keep(std::move(parsed))), steps, at, c, visit);
  }
  if (at == steps.size()) return visit(v);
  const Step& step = steps[at];
  switch (step.kind) {
    case Step::Kind::kKey:
      if (v.kind == Value::Kind::kJson && v.j->is_object())
        if (const Json* f = v.j->find(step.key))
          return walk(from_json(*f), steps, at + 1, c, visit);
      return false;
    case Step::Kind::kIndex:
      if (v.kind == Value::Kind::kJson && v.j->is_array() && step.index >= 0 &&
          size_t(step.index) < v.j->items().size())
        return walk(from_json(v.j->items()[size_t(step.index)]), steps, at + 1, c, visit);
      return false;
    case Step::Kind::kAny:
      if (v.kind != Value::Kind::kJson) return false;
      if (v.j->is_array()) {
        for (const Json& item : v.j->items())
          if (walk(from_json(item), steps, at + 1, c, visit)) return true;
      } else if (v.j->is_object()) {
        for (const auto& [key, item] : v.j->fields())
          if (walk(from_json(item), steps, at + 1, c, visit)) return true;
      }
      return false;
    case Step::Kind::kJson: {
      if (v.kind == Value::Kind::kJson) return walk(v, steps, at + 1, c, visit);
      if (v.kind != Value::Kind::kString) return false;
      Json parsed;
      if (!parse_json(v.s, parsed)) return false;
      return walk(from_json(c.keep(std::move(parsed))), steps, at + 1, c, visit);
    }
    case Step::Kind::kSize:
      if (v.kind == Value::Kind::kString)
        return walk(Value::of_int(int64_t(utf8_length(v.s))), steps, at + 1, c, visit);
      if (v.kind == Value::Kind::kJson)
        return walk(Value::of_int(int64_t(v.j->size())), steps, at + 1, c, visit);
      return false;
  }
  return false;
}

Value field_value(const FieldValue& v, Context& c) {
  switch (v.type) {
    case FieldType::kString:
      return Value::of_string(v.s);
    case FieldType::kInt:
      return Value::of_int(v.i);
    case FieldType::kDouble:
      return Value::of_double(v.d);
    case FieldType::kBool:
      return Value::of_bool(v.b);
    case FieldType::kJson:
      return from_json(*v.j);
    case FieldType::kIdText:
      return Value::of_string(c.keep(std::to_string(uint64_t(v.i))));
  }
  return {};
}

// The selector's starting value; false when the entry has no such field.
bool root_value(const Selector& s, Context& c, Value& out) {
  const Entry& e = c.entry;
  switch (s.root) {
    case Root::kRequest:
      out = {Value::Kind::kJson, false, 0, 0, {}, &e.request};
      return true;
    case Root::kResponse:
      if (!e.response) return false;
      out = {Value::Kind::kJson, false, 0, 0, {}, &*e.response};
      return true;
    case Root::kField: {
      FieldValue v = entry_field_value(*s.field, e);
      if (!v.present) return false;
      out = field_value(v, c);
      return true;
    }
    case Root::kGroup: {
      Json group = entry_group_json(e, s.group);
      if (group.is_null()) return false;
      out = from_json(c.keep(std::move(group)));
      return true;
    }
    case Root::kMissing:
      return false;
  }
  return false;
}

bool each(const Operand& o, Context& c, Visitor visit) {
  switch (o.kind) {
    case Operand::Kind::kLiteral:
      return visit(from_literal(o.literal));
    case Operand::Kind::kNow:
      return visit(Value::of_int(c.now_ms));
    case Operand::Kind::kSelector: {
      Value root;
      if (!root_value(o.selector, c, root)) return false;
      return walk(root, o.selector.steps, 0, c, visit);
    }
    case Operand::Kind::kNegate:
      return each(*o.left, c, [&](const Value& v) {
        if (v.kind == Value::Kind::kInt && v.i != INT64_MIN) return visit(Value::of_int(-v.i));
        return v.numeric() && visit(Value::of_double(-v.as_double()));
      });
    case Operand::Kind::kAdd:
    case Operand::Kind::kSubtract: {
      bool add = o.kind == Operand::Kind::kAdd;
      return each(*o.left, c, [&](const Value& a) {
        return a.numeric() && each(*o.right, c, [&](const Value& b) {
                 if (!b.numeric()) return false;
                 int64_t r;
                 if (a.kind == Value::Kind::kInt && b.kind == Value::Kind::kInt &&
                     !(add ? __builtin_add_overflow(a.i, b.i, &r)
                           : __builtin_sub_overflow(a.i, b.i, &r)))
                   return visit(Value::of_int(r));
                 return visit(Value::of_double(add ? a.as_double() + b.as_double()
                                                   : a.as_double() - b.as_double()));
               });
      });
    }
  }
  return false;
}

bool equal(const Value& a, const Value& b) {
  if (a.numeric() && b.numeric()) {
    if (a.kind == Value::Kind::kInt && b.kind == Value::Kind::kInt) return a.i == b.i;
    return a.as_double() == b.as_double();
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.b == b.b;
    case Value::Kind::kString:
      return a.s == b.s;
    case Value::Kind::kJson:
      return a.j->dump() == b.j->dump();
    default:
      return false;
  }
}

bool ordered(const Value& a, const Value& b, CompareOp op) {
  int cmp;
  if (a.numeric() && b.numeric()) {
    if (a.kind == Value::Kind::kInt && b.kind == Value::Kind::kInt)
      cmp = a.i < b.i ? -1 : a.i > b.i;
    else if (a.as_double() != a.as_double() || b.as_double() != b.as_double())
      return false;  // NaN is unordered
    else
      cmp = a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double();
  } else if (a.kind == Value::Kind::kString && b.kind == Value::Kind::kString) {
    cmp = a.s.compare(b.s);
    cmp = cmp < 0 ? -1 : cmp > 0;
  } else {
    return false;
  }
  switch (op) {
    case CompareOp::kLt:
      return cmp < 0;
    case CompareOp::kLe:
      return cmp <= 0;
    case CompareOp::kGt:
      return cmp > 0;
    case CompareOp::kGe:
      return cmp >= 0;
    default:
      return false;
  }
}

// Strings as they are, numbers and booleans as their text (so r"^5\d\d$"
// matches a status code); objects and lists do not match text.
bool as_text(const Value& v, Context& c, std::string_view& out) {
  switch (v.kind) {
    case Value::Kind::kString:
      out = v.s;
      return true;
    case Value::Kind::kInt:
      out = c.keep(std::to_string(v.i));
      return true;
    case Value::Kind::kDouble:
      out = c.keep(Json(v.d).dump());
      return true;
    case Value::Kind::kBool:
      out = v.b ? "true" : "false";
      return true;
    default:
      return false;
  }
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return false;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kInt:
      return v.i != 0;
    case Value::Kind::kDouble:
      return v.d != 0;
    case Value::Kind::kString:
      return !v.s.empty();
    case Value::Kind::kJson:
      return v.j->size() > 0;
  }
  return false;
}

bool eval(const Expr& x, Context& c) {
  switch (x.kind) {
    case Expr::Kind::kAnd:
      for (const auto& t : x.terms)
        if (!eval(*t, c)) return false;
      return true;
    case Expr::Kind::kOr:
      for (const auto& t : x.terms)
        if (eval(*t, c)) return true;
      return false;
    case Expr::Kind::kNot:
      return !eval(*x.terms[0], c);
    case Expr::Kind::kConstant:
      return x.constant;
    case Expr::Kind::kProtocolIs:
      return c.entry.protocol == x.text;
    case Expr::Kind::kCompare:
      return each(x.lhs, c, [&](const Value& a) {
        return each(x.rhs, c, [&](const Value& b) {
          if (x.op == CompareOp::kEq) return equal(a, b);
          if (x.op == CompareOp::kNe) return !equal(a, b);
          return ordered(a, b, x.op);
        });
      });
    case Expr::Kind::kRegex:
      return each(x.lhs, c, [&](const Value& a) {
        std::string_view text;
        if (!as_text(a, c, text)) return false;
        bool found = RE2::PartialMatch(text, *x.regex);
        return x.op == CompareOp::kEq ? found : !found;
      });
    case Expr::Kind::kIn:
      return each(x.lhs, c, [&](const Value& a) {
        for (const Operand& item : x.list)
          if (each(item, c, [&](const Value& b) { return equal(a, b); })) return true;
        return false;
      });
    case Expr::Kind::kMethod:
      return each(x.lhs, c, [&](const Value& a) {
        std::string_view text;
        if (!as_text(a, c, text)) return false;
        switch (x.method) {
          case StringMethod::kStartsWith:
            return text.starts_with(x.text);
          case StringMethod::kEndsWith:
            return text.ends_with(x.text);
          case StringMethod::kContains:
            return text.find(x.text) != std::string_view::npos;
          case StringMethod::kMatches:
            return RE2::PartialMatch(text, *x.regex);
        }
        return false;
      });
    case Expr::Kind::kTruthy:
      return each(x.lhs, c, [](const Value& v) { return truthy(v); });
    case Expr::Kind::kExists:
      return each(x.lhs, c, [](const Value&) { return true; });
  }
  return false;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Replaces what the steps reach under `j`; true when something was replaced.
bool redact_in(Json& j, const std::vector<Step>& steps, size_t at) {
  if (j.is_raw()) expand_raw(j);
  if (at == steps.size()) {
    j = Json("[REDACTED]");
    return true;
  }
  const Step& step = steps[at];
  bool changed = false;
  switch (step.kind) {
    case Step::Kind::kKey:
      if (j.is_object())
        for (auto& [key, value] : j.fields_mut())
          if (key == step.key) changed = redact_in(value, steps, at + 1) || changed;
      return changed;
    case Step::Kind::kIndex:
      if (j.is_array() && step.index >= 0 && size_t(step.index) < j.items().size())
        return redact_in(j.items_mut()[size_t(step.index)], steps, at + 1);
      return false;
    case Step::Kind::kAny:
      if (j.is_array())
        for (Json& item : j.items_mut()) changed = redact_in(item, steps, at + 1) || changed;
      else if (j.is_object())
        for (auto& [key, value] : j.fields_mut())
          changed = redact_in(value, steps, at + 1) || changed;
      return changed;
    case Step::Kind::kJson: {
      if (!j.is_string()) return redact_in(j, steps, at + 1);
      Json parsed;
      if (!parse_json(j.str(), parsed) || !redact_in(parsed, steps, at + 1)) return false;
      j.str_mut() = parsed.dump();
      return true;
    }
    case Step::Kind::kSize:
      return false;
  }
  return false;
}

void narrow_protocols(QueryBounds& b, const std::vector<std::string>& names) {
  if (!b.protocols) {
    b.protocols = names;
    return;
  }
  std::vector<std::string> both;
  for (const auto& n : *b.protocols)
    if (std::find(names.begin(), names.end(), n) != names.end()) both.push_back(n);
  b.protocols = both;
}

// Narrows `b` to what `x` requires of every entry it matches.
void narrow(const Expr& x, QueryBounds& b) {
  switch (x.kind) {
    case Expr::Kind::kAnd:
      for (const auto& t : x.terms) narrow(*t, b);
      return;
    case Expr::Kind::kOr: {
      // Only a disjunction of protocols narrows: "http or redis".
      std::vector<std::string> names;
      for (const auto& t : x.terms) {
        QueryBounds one;
        narrow(*t, one);
        if (!one.protocols) return;
        names.insert(names.end(), one.protocols->begin(), one.protocols->end());
      }
      narrow_protocols(b, names);
      return;
    }
    case Expr::Kind::kProtocolIs:
      narrow_protocols(b, {x.text});
      return;
    case Expr::Kind::kCompare: {
      const Operand *sel = &x.lhs, *lit = &x.rhs;
      CompareOp op = x.op;
      if (sel->kind != Operand::Kind::kSelector) {
        std::swap(sel, lit);
        // a < timestamp is timestamp > a
        static constexpr CompareOp kMirror[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kGt,
                                                CompareOp::kGe, CompareOp::kLt, CompareOp::kLe};
        op = kMirror[int(op)];
      }
      if (sel->kind != Operand::Kind::kSelector || !sel->selector.steps.empty() ||
          lit->kind != Operand::Kind::kLiteral || !std::holds_alternative<int64_t>(lit->literal))
        return;
      const EntryField* field = sel->selector.field;
      if (!field || !field->group.empty()) return;
      int64_t scale;
      if (field->key == "timestamp")
        scale = 1000;
      else if (field->key == "timestampUs")
        scale = 1;
      else
        return;
      int64_t v = std::get<int64_t>(lit->literal);
      if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000) return;
      // timestamp is in milliseconds: the entry's microseconds lie within [v*1000, v*1000+999].
      int64_t lo = v * scale, hi = v * scale + (scale - 1);
      switch (op) {
        case CompareOp::kEq:
          b.min_us = std::max(b.min_us, lo);
          b.max_us = std::min(b.max_us, hi);
          return;
        case CompareOp::kGt:
          b.min_us = std::max(b.min_us, hi + 1);
          return;
        case CompareOp::kGe:
          b.min_us = std::max(b.min_us, lo);
          return;
        case CompareOp::kLt:
          b.max_us = std::min(b.max_us, lo - 1);
          return;
        case CompareOp::kLe:
          b.max_us = std::min(b.max_us, hi);
          return;
        case CompareOp::kNe:
          return;
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace

QueryBounds Query::bounds() const {
  QueryBounds b;
  if (root_) narrow(*root_, b);
  return b;
}

bool Query::matches(const Entry& entry) const {
  if (!root_) return true;
  Context c{entry, now_ms(), {}, {}};
  return eval(*root_, c);
}

bool Query::redacts() const {
  return !redactions_.empty();
}

void Query::redact(Entry& entry) const {
  for (const auto& s : redactions_) {
    if (s->root == Root::kRequest)
      redact_in(entry.request, s->steps, 0);
    else if (s->root == Root::kResponse && entry.response)
      redact_in(*entry.response, s->steps, 0);
  }
}

}  // namespace trawl::kfl
