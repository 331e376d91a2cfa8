#include "api/access.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "base/text.h"

namespace trawl::api {

namespace {

// Splits "host:port", "[v6]:port", "host" into the name and the port ("" when none);
// false when it is neither.
bool split_authority(std::string_view authority, std::string_view& name, std::string_view& port) {
  port = {};
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    name = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (rest.empty()) return true;
    if (rest[0] != ':') return false;
    port = rest.substr(1);
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
      return false;  // an IPv6 address without brackets
    name = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (name.empty() || port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_address(std::string_view name) {
  std::string text(name);
  unsigned char buf[16];
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    return inet_pton(AF_INET6, text.substr(1, text.size() - 2).c_str(), buf) == 1;
  return inet_pton(AF_INET, text.c_str(), buf) == 1;
}

std::string this_machine() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return to_lower(name);
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

std::string normalise_origin(std::string_view origin) {
  std::string_view scheme;
  if (origin.starts_with("http://")) {
    scheme = "http";
  } else if (origin.starts_with("https://")) {
    scheme = "https";
  } else {
    return "";
  }
  std::string_view authority = origin.substr(scheme.size() + 3), name, port;
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos ||
      !split_authority(authority, name, port))
    return "";
  std::string out = std::string(scheme) + "://" + to_lower(name) + ":";
  out += port.empty() ? (scheme == "http" ? "80" : "443") : std::string(port);
  return out;
}

AccessPolicy::AccessPolicy(AccessSettings settings)
    : settings_(std::move(settings)), machine_name_(this_machine()) {
  if (!settings_.token.empty() && settings_.token.size() < kMinTokenLength)
    throw std::invalid_argument("the token must have at least " + std::to_string(kMinTokenLength) +
                                " characters");
  for (const auto& o : settings_.allowed_origins) {
    std::string n = normalise_origin(o);
    if (n.empty()) throw std::invalid_argument("not an origin (scheme://host[:port]): " + o);
    origins_.push_back(n);
  }
  for (auto& h : settings_.allowed_hosts) h = to_lower(h);
}

bool AccessPolicy::public_path(std::string_view path) {
  return path == "/healthz" || (!path.starts_with("/api/") && path != "/api" && path != "/metrics");
}

bool AccessPolicy::host_allowed(std::string_view host) const {
  if (host.empty()) return true;  // HTTP/1.0 clients; every browser sends one
  std::string_view name, port;
  if (!split_authority(host, name, port)) return false;
  std::string n = to_lower(name);
  if (n.ends_with('.')) n.pop_back();  // "localhost." is localhost
  if (is_address(n) || n == "localhost" || (!machine_name_.empty() && n == machine_name_))
    return true;
  return std::find(settings_.allowed_hosts.begin(), settings_.allowed_hosts.end(), n) !=
         settings_.allowed_hosts.end();
}

bool AccessPolicy::same_origin(std::string_view origin, std::string_view host) const {
  std::string o = normalise_origin(origin);
  if (o.empty() || host.empty()) return false;
  return o == normalise_origin("http://" + std::string(host)) ||
         o == normalise_origin("https://" + std::string(host));
}

bool AccessPolicy::allowed_cross_origin(std::string_view origin) const {
  std::string o = normalise_origin(origin);
  return !o.empty() && std::find(origins_.begin(), origins_.end(), o) != origins_.end();
}

// Compared as digests, in constant time: neither the token's bytes nor its
// length show in how long a wrong one takes.
bool AccessPolicy::token_matches(std::string_view given) const {
  auto a = digest(given), b = digest(settings_.token);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Access AccessPolicy::check(const RequestFacts& r) const {
  if (!host_allowed(r.host)) return Access::kBadHost;
  if (!r.origin.empty()) {
    if (!same_origin(r.origin, r.host) && !allowed_cross_origin(r.origin))
      return Access::kForeignOrigin;
  } else if ((r.sec_fetch_site == "cross-site" || r.sec_fetch_site == "same-site") &&
             r.sec_fetch_mode != "navigate" && !public_path(r.path)) {
    return Access::kForeignOrigin;  // another site's <img>, <script> or <link>
  }
  if (settings_.token.empty() || (public_path(r.path) && !r.websocket)) return Access::kAllowed;
  std::string_view auth = r.authorization;
  if (auth.size() > 7 && iequals(auth.substr(0, 7), "bearer ")) {
    auth.remove_prefix(7);
    while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
    while (!auth.empty() && auth.back() == ' ') auth.remove_suffix(1);
    if (token_matches(auth)) return Access::kAllowed;
  }
  if (!r.trawl_token.empty() && token_matches(r.trawl_token)) return Access::kAllowed;
  // Browsers cannot set headers on a WebSocket: there only, a parameter may carry it.
  if (r.websocket && r.access_token && token_matches(*r.access_token)) return Access::kAllowed;
  return Access::kUnauthorized;
}

void AccessPolicy::add_headers(const RequestFacts& r,
                               std::map<std::string, std::string>& headers) const {
  headers["X-Content-Type-Options"] = "nosniff";
  headers["Cross-Origin-Resource-Policy"] = "same-origin";
  headers["Referrer-Policy"] = "no-referrer";
  headers["X-Frame-Options"] = "DENY";
  headers["Content-Security-Policy"] = "frame-ancestors 'none'";
  headers["Vary"] = "Origin";
  if (!r.origin.empty() && !same_origin(r.origin, r.host) && allowed_cross_origin(r.origin)) {
    headers["Access-Control-Allow-Origin"] = std::string(r.origin);
    headers["Access-Control-Allow-Headers"] = "Authorization";
    headers["Access-Control-Allow-Methods"] = "GET, HEAD";
    headers["Access-Control-Max-Age"] = "600";
  }
}

}  // namespace trawl::api
