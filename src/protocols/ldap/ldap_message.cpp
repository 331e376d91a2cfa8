#include "protocols/ldap/ldap_message.h"

#include "base/text.h"
#include "protocols/ldap/ber.h"

namespace trawl {

namespace {

using ber::Element;

constexpr int kMaxFilterDepth = 32;
constexpr size_t kMaxValues = 64;  // values listed per attribute
constexpr std::string_view kRedacted = "[redacted]";

const char* const kOperations[] = {"bindRequest",
                                   "bindResponse",
                                   "unbindRequest",
                                   "searchRequest",
                                   "searchResEntry",
                                   "searchResDone",
                                   "modifyRequest",
                                   "modifyResponse",
                                   "addRequest",
                                   "addResponse",
                                   "delRequest",
                                   "delResponse",
                                   "modDNRequest",
                                   "modDNResponse",
                                   "compareRequest",
                                   "compareResponse",
                                   "abandonRequest",
                                   "",
                                   "",
                                   "searchResRef",
                                   "",
                                   "",
                                   "",
                                   "extendedRequest",
                                   "extendedResponse",
                                   "intermediateResponse"};

Json text(Bytes b) {
  std::string_view s = ber::to_text(b);
  if (is_valid_utf8(s)) return Json(s);
  Json o = Json::object();
  o.set("base64", base64_encode(s));
  return o;
}

// RFC 4515 3: the characters a filter value must escape.
void append_escaped(std::string& out, Bytes value) {
  static const char kHex[] = "0123456789abcdef";
  for (uint8_t c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0 || c >= 0x80) {
      if (c >= 0x80 && is_valid_utf8(ber::to_text(value))) {
        out += char(c);  // UTF-8 text is written as it is
        continue;
      }
      out += '\\';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
}

bool filter(Bytes b, std::string& out, int depth);

bool filter_element(const Element& e, std::string& out, int depth) {
  if (depth > kMaxFilterDepth) return false;
  uint8_t number = e.tag & 0x1F;
  out += '(';
  switch (e.tag) {
    case 0xA0:
    case 0xA1: {  // and, or
      out += number == 0 ? '&' : '|';
      ber::Reader r(e.value);
      Element sub;
      while (r.next(sub))
        if (!filter_element(sub, out, depth + 1)) return false;
      if (!r.ok()) return false;
      break;
    }
    case 0xA2: {  // not
      out += '!';
      if (!filter(e.value, out, depth + 1)) return false;
      break;
    }
    case 0xA3:
    case 0xA5:
    case 0xA6:
    case 0xA8: {  // equality, >=, <=, approx
      ber::Reader r(e.value);
      Element type, value;
      if (!r.next_if(0x04, type) || !r.next_if(0x04, value)) return false;
      out += ber::to_text(type.value);
      out += e.tag == 0xA3 ? "=" : e.tag == 0xA5 ? ">=" : e.tag == 0xA6 ? "<=" : "~=";
      append_escaped(out, value.value);
      break;
    }
    case 0xA4: {  // substrings
      ber::Reader r(e.value);
      Element type, list, part;
      if (!r.next_if(0x04, type) || !r.next_if(0x30, list)) return false;
      out += ber::to_text(type.value);
      out += '=';
      // initial "*" (any "*")* final
      std::string initial, middle, final_part;
      ber::Reader parts(list.value);
      while (parts.next(part)) {
        if (part.tag == 0x80) {
          append_escaped(initial, part.value);
        } else if (part.tag == 0x81) {
          append_escaped(middle, part.value);
          middle += '*';
        } else if (part.tag == 0x82) {
          append_escaped(final_part, part.value);
        } else {
          return false;
        }
      }
      if (!parts.ok()) return false;
      out += initial + "*" + middle + final_part;
      break;
    }
    case 0x87:  // present
      out += ber::to_text(e.value);
      out += "=*";
      break;
    case 0xA9: {  // extensible match: attr:dn:rule:=value
      ber::Reader r(e.value);
      Element part;
      std::string rule, type, value;
      bool dn = false;
      while (r.next(part)) {
        if (part.tag == 0x81) rule = ber::to_text(part.value);
        if (part.tag == 0x82) type = ber::to_text(part.value);
        if (part.tag == 0x83) append_escaped(value, part.value);
        if (part.tag == 0x84) dn = !part.value.empty() && part.value[0];
      }
      out += type;
      if (dn) out += ":dn";
      if (!rule.empty()) out += ":" + rule;
      out += ":=" + value;
      break;
    }
    default:
      return false;
  }
  out += ')';
  return true;
}

bool filter(Bytes b, std::string& out, int depth) {
  ber::Reader r(b);
  Element e;
  return r.next(e) && r.done() && filter_element(e, out, depth);
}

// AttributeList / PartialAttributeList: [{type, values}]
Json attribute_list(Bytes b, bool& ok) {
  Json list = Json::array();
  ber::Reader r(b);
  Element attr;
  while (r.next(attr)) {
    ber::Reader inner(attr.value);
    Element type, values, v;
    if (!inner.next_if(0x04, type) || !inner.next_if(0x31, values)) {
      ok = false;
      break;
    }
    Json o = Json::object();
    o.set("type", ber::to_text(type.value));
    Json vals = Json::array();
    ber::Reader vr(values.value);
    size_t n = 0;
    while (vr.next(v))
      if (n++ < kMaxValues) vals.push(text(v.value));
    o.set("values", std::move(vals));
    list.push(std::move(o));
  }
  ok = ok && r.ok();
  return list;
}

bool ldap_result(ber::Reader& r, LdapMessage& out) {
  Element code, matched, diagnostic;
  int64_t c;
  if (!r.next_if(0x0A, code) || !ber::to_int(code.value, c) || !r.next_if(0x04, matched) ||
      !r.next_if(0x04, diagnostic))
    return false;
  out.result_code = c;
  out.fields.set("resultCode", c);
  out.fields.set("resultCodeName", ldap_result_code_name(c));
  out.fields.set("matchedDN", text(matched.value));
  out.fields.set("diagnosticMessage", text(diagnostic.value));
  Element referral;
  if (r.next_if(0xA3, referral)) {
    ber::Reader refs(referral.value);
    Element uri;
    Json list = Json::array();
    while (refs.next(uri)) list.push(text(uri.value));
    out.fields.set("referral", std::move(list));
  }
  return true;
}

std::string_view extended_name(std::string_view oid) {
  if (oid == "1.3.6.1.4.1.1466.20037") return "StartTLS";
  if (oid == "1.3.6.1.4.1.4203.1.11.1") return "PasswordModify";
  if (oid == "1.3.6.1.4.1.4203.1.11.3") return "WhoAmI";
  if (oid == "1.3.6.1.4.1.1466.20036") return "NoticeOfDisconnection";
  if (oid == "1.3.6.1.1.8") return "Cancel";
  return "";
}

bool decode_op(const Element& op, LdapMessage& out) {
  Json& f = out.fields;
  ber::Reader r(op.value);
  Element a, b, c;
  int64_t n;
  switch (out.op) {
    case 0: {  // bindRequest
      if (!r.next_if(0x02, a) || !ber::to_int(a.value, n) || !r.next_if(0x04, b) || !r.next(c))
        return false;
      f.set("version", n);
      f.set("name", text(b.value));
      if (c.tag == 0x80) {
        f.set("authentication", "simple");
        if (!c.value.empty()) f.set("password", kRedacted);
      } else if (c.tag == 0xA3) {
        f.set("authentication", "sasl");
        ber::Reader sasl(c.value);
        Element mech, creds;
        if (!sasl.next_if(0x04, mech)) return false;
        f.set("mechanism", ber::to_text(mech.value));
        if (sasl.next_if(0x04, creds) && !creds.value.empty()) f.set("credentials", kRedacted);
      } else {
        f.set("authentication", "unknown");
      }
      return true;
    }
    case 2:  // unbindRequest: NULL
      return true;
    case 3: {  // searchRequest
      Element base, scope, deref, size, time, types, filt, attrs;
      int64_t s, d, sl, tl;
      if (!r.next_if(0x04, base) || !r.next_if(0x0A, scope) || !ber::to_int(scope.value, s) ||
          !r.next_if(0x0A, deref) || !ber::to_int(deref.value, d) || !r.next_if(0x02, size) ||
          !ber::to_int(size.value, sl) || !r.next_if(0x02, time) || !ber::to_int(time.value, tl) ||
          !r.next_if(0x01, types) || !r.next(filt) || !r.next_if(0x30, attrs))
        return false;
      static const char* const kScopes[] = {"baseObject", "singleLevel", "wholeSubtree",
                                            "subordinateSubtree"};
      static const char* const kDeref[] = {"neverDerefAliases", "derefInSearching",
                                           "derefFindingBaseObj", "derefAlways"};
      f.set("baseObject", text(base.value));
      f.set("scope", s >= 0 && s < 4 ? Json(kScopes[s]) : Json(s));
      f.set("derefAliases", d >= 0 && d < 4 ? Json(kDeref[d]) : Json(d));
      f.set("sizeLimit", sl);
      f.set("timeLimit", tl);
      f.set("typesOnly", !types.value.empty() && types.value[0] != 0);
      std::string fs;
      if (filter_element(filt, fs, 0)) {
        f.set("filter", fs);
      } else {
        f.set("filter", "");
        out.error = "filter";
      }
      Json list = Json::array();
      ber::Reader ar(attrs.value);
      Element at;
      while (ar.next(at)) list.push(text(at.value));
      f.set("attributes", std::move(list));
      return true;
    }
    case 4: {  // searchResEntry
      if (!r.next_if(0x04, a) || !r.next_if(0x30, b)) return false;
      f.set("objectName", text(a.value));
      bool ok = true;
      f.set("attributes", attribute_list(b.value, ok));
      return ok;
    }
    case 6: {  // modifyRequest
      if (!r.next_if(0x04, a) || !r.next_if(0x30, b)) return false;
      f.set("name", text(a.value));
      Json changes = Json::array();
      ber::Reader cr(b.value);
      Element change;
      static const char* const kOps[] = {"add", "delete", "replace", "increment"};
      while (cr.next(change)) {
        ber::Reader inner(change.value);
        Element kind, attr;
        int64_t k;
        if (!inner.next_if(0x0A, kind) || !ber::to_int(kind.value, k) || !inner.next_if(0x30, attr))
          return false;
        ber::Reader pa(attr.value);
        Element type, values, v;
        if (!pa.next_if(0x04, type) || !pa.next_if(0x31, values)) return false;
        Json o = Json::object();
        o.set("operation", k >= 0 && k < 4 ? Json(kOps[k]) : Json(k));
        o.set("type", ber::to_text(type.value));
        Json vals = Json::array();
        ber::Reader vr(values.value);
        size_t count = 0;
        while (vr.next(v))
          if (count++ < kMaxValues) vals.push(text(v.value));
        o.set("values", std::move(vals));
        changes.push(std::move(o));
      }
      f.set("changes", std::move(changes));
      return cr.ok();
    }
    case 8: {  // addRequest
      if (!r.next_if(0x04, a) || !r.next_if(0x30, b)) return false;
      f.set("name", text(a.value));
      bool ok = true;
      f.set("attributes", attribute_list(b.value, ok));
      return ok;
    }
    case 10:  // delRequest: the DN itself
      f.set("name", text(op.value));
      return true;
    case 12: {  // modDNRequest
      Element del, sup;
      if (!r.next_if(0x04, a) || !r.next_if(0x04, b) || !r.next_if(0x01, del)) return false;
      f.set("name", text(a.value));
      f.set("newrdn", text(b.value));
      f.set("deleteoldrdn", !del.value.empty() && del.value[0] != 0);
      if (r.next_if(0x80, sup)) f.set("newSuperior", text(sup.value));
      return true;
    }
    case 14: {  // compareRequest
      if (!r.next_if(0x04, a) || !r.next_if(0x30, b)) return false;
      ber::Reader ava(b.value);
      Element type, value;
      if (!ava.next_if(0x04, type) || !ava.next_if(0x04, value)) return false;
      f.set("name", text(a.value));
      f.set("attribute", ber::to_text(type.value));
      f.set("value", text(value.value));
      return true;
    }
    case 16:  // abandonRequest: the id to abandon
      if (!ber::to_int(op.value, n)) return false;
      f.set("abandonId", n);
      return true;
    case 19: {  // searchResRef
      Json list = Json::array();
      while (r.next(a)) list.push(text(a.value));
      f.set("uris", std::move(list));
      return r.ok();
    }
    case 23: {  // extendedRequest
      if (!r.next_if(0x80, a)) return false;
      std::string_view oid = ber::to_text(a.value);
      f.set("requestName", oid);
      if (auto name = extended_name(oid); !name.empty()) f.set("requestNameText", name);
      if (r.next_if(0x81, b)) f.set("requestValueSize", b.value.size());
      return true;
    }
    case 25: {  // intermediateResponse
      if (r.next_if(0x80, a)) f.set("responseName", ber::to_text(a.value));
      return true;
    }
    case 1:
    case 5:
    case 7:
    case 9:
    case 11:
    case 13:
    case 15:
    case 24: {  // responses with an LDAPResult
      if (!ldap_result(r, out)) return false;
      if (out.op == 24 && r.next_if(0x8A, a)) {
        std::string_view oid = ber::to_text(a.value);
        f.set("responseName", oid);
        if (auto name = extended_name(oid); !name.empty()) f.set("responseNameText", name);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool ldap_filter_string(Bytes b, std::string& out) {
  return filter(b, out, 0);
}

std::string_view ldap_result_code_name(int64_t code) {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "operationsError";
    case 2:
      return "protocolError";
    case 3:
      return "timeLimitExceeded";
    case 4:
      return "sizeLimitExceeded";
    case 5:
      return "compareFalse";
    case 6:
      return "compareTrue";
    case 7:
      return "authMethodNotSupported";
    case 8:
      return "strongerAuthRequired";
    case 10:
      return "referral";
    case 11:
      return "adminLimitExceeded";
    case 12:
      return "unavailableCriticalExtension";
    case 13:
      return "confidentialityRequired";
    case 14:
      return "saslBindInProgress";
    case 16:
      return "noSuchAttribute";
    case 17:
      return "undefinedAttributeType";
    case 18:
      return "inappropriateMatching";
    case 19:
      return "constraintViolation";
    case 20:
      return "attributeOrValueExists";
    case 21:
      return "invalidAttributeSyntax";
    case 32:
      return "noSuchObject";
    case 33:
      return "aliasProblem";
    case 34:
      return "invalidDNSyntax";
    case 36:
      return "aliasDereferencingProblem";
    case 48:
      return "inappropriateAuthentication";
    case 49:
      return "invalidCredentials";
    case 50:
      return "insufficientAccessRights";
    case 51:
      return "busy";
    case 52:
      return "unavailable";
    case 53:
      return "unwillingToPerform";
    case 54:
      return "loopDetect";
    case 64:
      return "namingViolation";
    case 65:
      return "objectClassViolation";
    case 66:
      return "notAllowedOnNonLeaf";
    case 67:
      return "notAllowedOnRDN";
    case 68:
      return "entryAlreadyExists";
    case 69:
      return "objectClassModsProhibited";
    case 71:
      return "affectsMultipleDSAs";
    case 80:
      return "other";
    default:
      return "";
  }
}

bool decode_ldap_message(Bytes message, LdapMessage& out) {
  ber::Reader outer(message);
  Element seq;
  if (!outer.next(seq) || seq.tag != 0x30) {
    out.error = "not an LDAPMessage";
    return false;
  }
  ber::Reader r(seq.value);
  Element id, op;
  if (!r.next_if(0x02, id) || !ber::to_int(id.value, out.message_id) || !r.next(op)) {
    out.error = "no messageID or protocolOp";
    return false;
  }
  if ((op.tag & 0xC0) != 0x40) {  // protocolOp is [APPLICATION n]
    out.error = "protocolOp is not an application tag";
    return false;
  }
  out.op = op.tag & 0x1F;
  if (out.op >= std::size(kOperations) || !*kOperations[out.op]) {
    out.error = "unknown protocolOp " + std::to_string(out.op);
    return false;
  }
  out.operation = kOperations[out.op];
  out.request = out.op == 0 || out.op == 2 || out.op == 3 || out.op == 6 || out.op == 8 ||
                out.op == 10 || out.op == 12 || out.op == 14 || out.op == 16 || out.op == 23;
  if (!decode_op(op, out)) {
    out.error = "malformed " + out.operation;
    return true;  // the header is still good: an entry with an error
  }
  Element controls;
  if (r.next_if(0xA0, controls)) {
    ber::Reader cr(controls.value);
    Element control, oid;
    Json list = Json::array();
    while (cr.next(control)) {
      ber::Reader inner(control.value);
      if (inner.next_if(0x04, oid)) list.push(ber::to_text(oid.value));
    }
    out.fields.set("controls", std::move(list));
  }
  return true;
}

}  // namespace trawl
