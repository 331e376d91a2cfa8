// LDAP v3 (RFC 4511) over TCP and UDP (CLDAP): every operation with its fields,
// requests paired with responses by message id, search entries counted into the
// searchResDone's entry, bind secrets redacted.
#pragma once

#include "dissect/dissector.h"

namespace trawl {

const ProtocolInfo& ldap_protocol();

}  // namespace trawl
