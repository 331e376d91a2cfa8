// TLS ClientHello / ServerHello parsing and fingerprints (JA3, JA4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace trawl {

struct ClientHello {
  uint16_t legacy_version = 0;
  std::vector<uint16_t> cipher_suites;
  std::vector<uint16_t> extensions;  // in order
  std::vector<uint16_t> supported_groups;
  std::vector<uint8_t> ec_point_formats;
  std::vector<uint16_t> signature_algorithms;
  std::vector<uint16_t> supported_versions;
  std::vector<std::string> alpn;
  std::string sni;
  bool has_sni = false;
};

struct ServerHello {
  uint16_t legacy_version = 0;
  uint16_t selected_version = 0;  // from supported_versions, else legacy_version
  uint16_t cipher_suite = 0;
  std::vector<std::string> alpn;
  bool hello_retry_request = false;
};

// Bodies of the handshake messages (after the 4-byte handshake header).
std::optional<ClientHello> parse_client_hello(Bytes body);
std::optional<ServerHello> parse_server_hello(Bytes body);

std::string ja3_string(const ClientHello& ch);
std::string ja3_hash(const ClientHello& ch);
std::string ja4(const ClientHello& ch);

std::string tls_version_name(uint16_t version);  // "TLS 1.2"
std::string cipher_suite_name(uint16_t suite);   // IANA name, else "0x1234"
bool is_grease(uint16_t value);

}  // namespace trawl
