// DNS message parsing (RFC 1035), with name compression and loop protection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace trawl {

struct DnsQuestion {
  std::string name;
  uint16_t type = 0, cls = 0;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0, cls = 0;
  uint32_t ttl = 0;
  std::string data;  // presentation form, or hex for types without one
};

struct DnsMessage {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = 0, rcode = 0;
  bool authoritative = false, truncated = false, recursion_desired = false,
       recursion_available = false;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authorities, additionals;
};

// Parses one whole message. On failure returns nullopt and sets `error`.
std::optional<DnsMessage> parse_dns_message(Bytes message, std::string& error);

// Cheap check of a message header: plausible opcode and section counts.
bool plausible_dns_header(Bytes message);

std::string dns_type_name(uint16_t type);   // "A", "AAAA", ..., else "TYPE<n>"
std::string dns_class_name(uint16_t cls);   // "IN", ..., else "CLASS<n>"
std::string dns_rcode_name(uint8_t rcode);  // "NOERROR", ...

}  // namespace trawl
