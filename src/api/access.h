// Who may use the worker's API: the Host a request names (DNS rebinding), the
// Origin a browser says it comes from (other sites' pages), and the token.
// Pure functions of the request's headers, so the server, the tests and the
// fuzz target share them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trawl::api {

constexpr size_t kMinTokenLength = 16;

struct AccessSettings {
  std::string token;                         // "": none required (loopback only)
  std::vector<std::string> allowed_origins;  // CORS and WebSocket: "https://ui.example:8443"
  std::vector<std::string> allowed_hosts;    // names accepted in Host beyond addresses, localhost
                                             // and this machine's own name
};

// What a request says about itself, as far as access goes.
struct RequestFacts {
  std::string_view host;            // Host header ("" when absent)
  std::string_view origin;          // Origin header ("" when absent)
  std::string_view sec_fetch_site;  // Fetch Metadata, sent by browsers
  std::string_view sec_fetch_mode;
  std::string_view authorization;             // Authorization header
  const std::string* access_token = nullptr;  // ?access_token=, when present
  // X-Trawl-Token: the token where Authorization carries another's (through
  // the Kubernetes API server's service proxy, whose credential it is).
  std::string_view trawl_token;
  std::string_view path;
  bool websocket = false;  // an upgrade to /api/stream
};

enum class Access {
  kAllowed,
  kBadHost,        // 403: the Host is not a name of this worker (DNS rebinding)
  kForeignOrigin,  // 403: a page of another origin
  kUnauthorized,   // 401: the token is missing or wrong
};

class AccessPolicy {
 public:
  // Throws std::invalid_argument for a token shorter than kMinTokenLength or an
  // allowed origin that is not scheme://host[:port].
  explicit AccessPolicy(AccessSettings settings);

  Access check(const RequestFacts& request) const;
  // Headers every answer carries: CORS ones only for an allowed cross origin.
  void add_headers(const RequestFacts& request, std::map<std::string, std::string>& headers) const;
  // A cross-origin request from an allowed origin (answered with CORS headers).
  bool allowed_cross_origin(std::string_view origin) const;
  // Paths anyone may fetch without a token: the dashboard's files and /healthz.
  static bool public_path(std::string_view path);

 private:
  bool host_allowed(std::string_view host) const;
  bool same_origin(std::string_view origin, std::string_view host) const;
  bool token_matches(std::string_view given) const;

  AccessSettings settings_;
  std::vector<std::string> origins_;  // normalised: scheme://host:port, lower case
  std::string machine_name_;
};

// "http://Example.com" -> "http://example.com:80"; "" when it is not an origin.
std::string normalise_origin(std::string_view origin);

}  // namespace trawl::api
