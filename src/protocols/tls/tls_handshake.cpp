#include "protocols/tls/tls_handshake.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace trawl {

namespace {

constexpr uint8_t kHelloRetryRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

enum Extension : uint16_t {
  kServerName = 0,
  kSupportedGroups = 10,
  kEcPointFormats = 11,
  kSignatureAlgorithms = 13,
  kAlpn = 16,
  kSupportedVersions = 43,
};

std::vector<uint16_t> u16_list(Bytes b) {
  std::vector<uint16_t> out;
  for (size_t i = 0; i + 1 < b.size(); i += 2) out.push_back(load_be16(&b[i]));
  return out;
}

std::vector<std::string> alpn_list(Bytes data) {
  std::vector<std::string> out;
  Reader r(data);
  Reader list(r.take(r.u16()));
  while (list.remaining() > 0) {
    Bytes name = list.take(list.u8());
    if (!list.ok()) break;
    out.emplace_back(as_text(name));
  }
  return out;
}

// Fetched once: OpenSSL 3 looks algorithms up again on every implicit use.
const EVP_MD* md5() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::string digest_hex(const EVP_MD* md, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), out, &len, md, nullptr);
  return to_hex(Bytes(out, len));
}

std::string hex4(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

template <typename T>
std::string join_decimal(const std::vector<T>& values) {
  std::string out;
  for (T v : values) {
    if (is_grease(v)) continue;
    if (!out.empty()) out += '-';
    out += std::to_string(v);
  }
  return out;
}

}  // namespace

bool is_grease(uint16_t v) {
  return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);
}

std::optional<ClientHello> parse_client_hello(Bytes body) {
  Reader r(body);
  ClientHello ch;
  ch.legacy_version = r.u16();
  r.skip(32);      // random
  r.skip(r.u8());  // session id
  ch.cipher_suites = u16_list(r.take(r.u16()));
  r.skip(r.u8());  // compression methods
  if (!r.ok()) return std::nullopt;
  if (r.remaining() < 2) return ch;  // no extensions (SSL 3.0 style)
  Reader exts(r.take(r.u16()));
  while (exts.remaining() >= 4) {
    uint16_t type = exts.u16();
    Bytes data = exts.take(exts.u16());
    if (!exts.ok()) break;
    ch.extensions.push_back(type);
    Reader e(data);
    switch (type) {
      case kServerName: {
        Reader list(e.take(e.u16()));
        while (list.remaining() >= 3) {
          uint8_t name_type = list.u8();
          Bytes name = list.take(list.u16());
          if (!list.ok()) break;
          if (name_type == 0) {
            ch.sni = std::string(as_text(name));
            break;
          }
        }
        ch.has_sni = true;
        break;
      }
      case kSupportedGroups:
        ch.supported_groups = u16_list(e.take(e.u16()));
        break;
      case kEcPointFormats: {
        Bytes f = e.take(e.u8());
        ch.ec_point_formats.assign(f.begin(), f.end());
        break;
      }
      case kSignatureAlgorithms:
        ch.signature_algorithms = u16_list(e.take(e.u16()));
        break;
      case kAlpn:
        ch.alpn = alpn_list(data);
        break;
      case kSupportedVersions:
        ch.supported_versions = u16_list(e.take(e.u8()));
        break;
    }
  }
  return ch;
}

std::optional<ServerHello> parse_server_hello(Bytes body) {
  Reader r(body);
  ServerHello sh;
  sh.legacy_version = r.u16();
  Bytes random = r.take(32);
  r.skip(r.u8());  // session id
  sh.cipher_suite = r.u16();
  r.skip(1);  // compression method
  if (!r.ok()) return std::nullopt;
  sh.hello_retry_request = std::equal(random.begin(), random.end(), kHelloRetryRandom);
  sh.selected_version = sh.legacy_version;
  if (r.remaining() >= 2) {
    Reader exts(r.take(r.u16()));
    while (exts.remaining() >= 4) {
      uint16_t type = exts.u16();
      Bytes data = exts.take(exts.u16());
      if (!exts.ok()) break;
      if (type == kSupportedVersions && data.size() == 2) sh.selected_version = load_be16(&data[0]);
      if (type == kAlpn) sh.alpn = alpn_list(data);
    }
  }
  return sh;
}

std::string ja3_string(const ClientHello& ch) {
  return std::to_string(ch.legacy_version) + "," + join_decimal(ch.cipher_suites) + "," +
         join_decimal(ch.extensions) + "," + join_decimal(ch.supported_groups) + "," +
         join_decimal(ch.ec_point_formats);
}

std::string ja3_hash(const ClientHello& ch) {
  return digest_hex(md5(), ja3_string(ch));
}

std::string ja4(const ClientHello& ch) {
  uint16_t version = 0;
  for (uint16_t v : ch.supported_versions)
    if (!is_grease(v)) version = std::max(version, v);
  if (!version) version = ch.legacy_version;
  std::string v;
  switch (version) {
    case 0x0304:
      v = "13";
      break;
    case 0x0303:
      v = "12";
      break;
    case 0x0302:
      v = "11";
      break;
    case 0x0301:
      v = "10";
      break;
    case 0x0300:
      v = "s3";
      break;
    case 0x0002:
      v = "s2";
      break;
    default:
      v = "00";
  }
  std::vector<uint16_t> ciphers, exts;
  for (uint16_t c : ch.cipher_suites)
    if (!is_grease(c)) ciphers.push_back(c);
  size_t ext_count = 0;
  for (uint16_t e : ch.extensions) {
    if (is_grease(e)) continue;
    ++ext_count;
    if (e != kServerName && e != kAlpn) exts.push_back(e);
  }
  std::string alpn = "00";
  if (!ch.alpn.empty() && !ch.alpn[0].empty()) {
    const std::string& a = ch.alpn[0];
    auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    if (alnum(a.front()) && alnum(a.back())) {
      alpn = std::string{a.front(), a.back()};
    } else {
      std::string h = to_hex(Bytes(reinterpret_cast<const uint8_t*>(a.data()), a.size()));
      alpn = std::string{h.front(), h.back()};
    }
  }
  char counts[8];
  std::snprintf(counts, sizeof counts, "%02zu%02zu", std::min<size_t>(ciphers.size(), 99),
                std::min<size_t>(ext_count, 99));
  std::string a = "t" + v + (ch.has_sni ? "d" : "i") + counts + alpn;

  auto joined = [](std::vector<uint16_t> values, bool sort) {
    if (sort) std::sort(values.begin(), values.end());
    std::string out;
    for (uint16_t x : values) {
      if (!out.empty()) out += ',';
      out += hex4(x);
    }
    return out;
  };
  auto hash12 = [](const std::string& s) {
    return s.empty() ? std::string(12, '0') : digest_hex(sha256(), s).substr(0, 12);
  };
  std::string b = hash12(joined(ciphers, true));
  std::string c_input = joined(exts, true);
  std::vector<uint16_t> sigs;
  for (uint16_t s : ch.signature_algorithms)
    if (!is_grease(s)) sigs.push_back(s);
  if (!sigs.empty() && !c_input.empty()) c_input += "_" + joined(sigs, false);
  std::string c = exts.empty() ? std::string(12, '0') : hash12(c_input);
  return a + "_" + b + "_" + c;
}

std::string tls_version_name(uint16_t version) {
  switch (version) {
    case 0x0002:
      return "SSL 2.0";
    case 0x0300:
      return "SSL 3.0";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    case 0xFEFF:
      return "DTLS 1.0";
    case 0xFEFD:
      return "DTLS 1.2";
  }
  return "0x" + hex4(version);
}

std::string cipher_suite_name(uint16_t suite) {
  struct Named {
    uint16_t id;
    const char* name;
  };
  static constexpr Named kSuites[] = {
      {0x0000, "TLS_NULL_WITH_NULL_NULL"},
      {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
      {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
      {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
      {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
      {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
      {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
      {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
      {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
      {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
      {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
      {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
      {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
      {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
      {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
      {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
      {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
      {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
      {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
      {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
      {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
      {0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
      {0x1301, "TLS_AES_128_GCM_SHA256"},
      {0x1302, "TLS_AES_256_GCM_SHA384"},
      {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
      {0x1304, "TLS_AES_128_CCM_SHA256"},
      {0x1305, "TLS_AES_128_CCM_8_SHA256"},
      {0x5600, "TLS_FALLBACK_SCSV"},
      {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
      {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
      {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
      {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
      {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
      {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
      {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
      {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
      {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
      {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
      {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
      {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
      {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
      {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
      {0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
      {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
      {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
      {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
      {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
      {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
  };
  for (const auto& s : kSuites)
    if (s.id == suite) return s.name;
  return "0x" + hex4(suite);
}

}  // namespace trawl
