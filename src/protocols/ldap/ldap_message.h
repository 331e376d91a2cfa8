// One LDAPMessage (RFC 4511) decoded into entry fields.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "entries/json.h"

namespace trawl {

struct LdapMessage {
  int64_t message_id = 0;
  uint8_t op = 0;                // the protocolOp's application tag number
  std::string operation;         // bindRequest, searchResDone, ...
  bool request = false;          // a client's operation
  Json fields = Json::object();  // the operation's fields in entry.md names
  int64_t result_code = -1;      // responses with an LDAPResult
  std::string error;             // what could not be decoded
};

// `message` is a whole LDAPMessage element (SEQUENCE tag and length included).
// False when it is not one; `out.error` then says why.
bool decode_ldap_message(Bytes message, LdapMessage& out);

// A Filter element (tag included) in RFC 4515 string form: (&(objectClass=person)(cn=a*)).
bool ldap_filter_string(Bytes filter, std::string& out);

std::string_view ldap_result_code_name(int64_t code);

}  // namespace trawl
