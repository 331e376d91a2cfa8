#include "api/access.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace trawl::api {
namespace {

RequestFacts request(std::string_view host, std::string_view path = "/api/entries") {
  RequestFacts r;
  r.host = host;
  r.path = path;
  return r;
}

TEST(Access, OriginsAreNormalised) {
  EXPECT_EQ(normalise_origin("http://Example.COM"), "http://example.com:80");
  EXPECT_EQ(normalise_origin("https://ui.example:8443"), "https://ui.example:8443");
  EXPECT_EQ(normalise_origin("http://[::1]:8899"), "http://[::1]:8899");
  EXPECT_EQ(normalise_origin("null"), "");
  EXPECT_EQ(normalise_origin("file://"), "");
  EXPECT_EQ(normalise_origin("http://a.example/path"), "");
  EXPECT_EQ(normalise_origin("http://user@a.example"), "");
  EXPECT_EQ(normalise_origin("http://a.example:99999999"), "");
}

// DNS rebinding: a name the attacker controls, resolving to 127.0.0.1, must
// not reach the API; addresses, localhost and allowed names do.
TEST(Access, HostMustBeAnAddressLocalhostOrAnAllowedName) {
  AccessPolicy policy({});
  for (const char* host : {"127.0.0.1:8899", "127.0.0.1", "localhost:8899", "LOCALHOST",
                           "[::1]:8899", "10.1.2.3:80", "localhost.:8899", ""})
    EXPECT_EQ(policy.check(request(host)), Access::kAllowed) << host;
  for (const char* host : {"evil.example:8899", "evil.example", "127.0.0.1.evil.example",
                           "localhost.evil.example", "::1", "a:b:c", "[::1"})
    EXPECT_EQ(policy.check(request(host)), Access::kBadHost) << host;
  AccessPolicy named({"", {}, {"trawl.internal"}});
  EXPECT_EQ(named.check(request("Trawl.Internal:8899")), Access::kAllowed);
  // The dashboard's files are not behind the Host check's exceptions either.
  EXPECT_EQ(policy.check(request("evil.example", "/")), Access::kBadHost);
}

TEST(Access, OtherOriginsAreRefusedUnlessAllowed) {
  AccessPolicy policy({"", {"https://ui.example"}, {}});
  RequestFacts r = request("127.0.0.1:8899");
  r.origin = "http://127.0.0.1:8899";
  EXPECT_EQ(policy.check(r), Access::kAllowed);  // the dashboard itself
  r.origin = "http://evil.example";
  EXPECT_EQ(policy.check(r), Access::kForeignOrigin);
  r.websocket = true;
  r.path = "/api/stream";
  EXPECT_EQ(policy.check(r), Access::kForeignOrigin);
  r.origin = "null";
  EXPECT_EQ(policy.check(r), Access::kForeignOrigin);
  r.origin = "http://127.0.0.1:9999";  // another port is another origin
  EXPECT_EQ(policy.check(r), Access::kForeignOrigin);
  r.origin = "https://ui.example:443";
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  // CORS headers go to the allowed origin only.
  std::map<std::string, std::string> headers;
  r.websocket = false;
  policy.add_headers(r, headers);
  EXPECT_EQ(headers["Access-Control-Allow-Origin"], "https://ui.example:443");
  headers.clear();
  r.origin = "http://127.0.0.1:8899";
  policy.add_headers(r, headers);
  EXPECT_EQ(headers.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
}

// Another site's <img src> or <script src> carries no Origin, but browsers
// say where it comes from.
TEST(Access, CrossSiteSubresourcesWithoutOriginAreRefused) {
  AccessPolicy policy({});
  RequestFacts r = request("127.0.0.1:8899");
  r.sec_fetch_site = "cross-site";
  r.sec_fetch_mode = "no-cors";
  EXPECT_EQ(policy.check(r), Access::kForeignOrigin);
  r.sec_fetch_mode = "navigate";  // the user followed a link: they see it, not the page
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  r.sec_fetch_site = "same-origin";
  r.sec_fetch_mode = "cors";
  EXPECT_EQ(policy.check(r), Access::kAllowed);
}

TEST(Access, TheTokenIsRequiredOnTheApiAndOnlyTheStreamTakesItAsAParameter) {
  AccessSettings short_token, bad_origin, settings;
  short_token.token = "short";
  bad_origin.allowed_origins = {"not an origin"};
  EXPECT_THROW(AccessPolicy{short_token}, std::invalid_argument);
  EXPECT_THROW(AccessPolicy{bad_origin}, std::invalid_argument);
  const std::string token = "0123456789abcdef-token";
  settings.token = token;
  AccessPolicy policy(settings);
  RequestFacts r = request("127.0.0.1:8899");
  EXPECT_EQ(policy.check(r), Access::kUnauthorized);
  std::string header = "Bearer " + token;
  r.authorization = header;
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  std::string lower = "bearer  " + token + " ";
  r.authorization = lower;
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  std::string wrong = "Bearer " + token.substr(0, token.size() - 1) + "X";
  r.authorization = wrong;
  EXPECT_EQ(policy.check(r), Access::kUnauthorized);
  std::string prefix = "Bearer " + token.substr(0, 8);
  r.authorization = prefix;
  EXPECT_EQ(policy.check(r), Access::kUnauthorized);
  // Through the API server's service proxy, Authorization is the cluster's:
  // the token comes in X-Trawl-Token.
  std::string cluster = "Bearer the-cluster-credential";
  r.authorization = cluster;
  r.trawl_token = token;
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  std::string wrong_token = token + "x";
  r.trawl_token = wrong_token;
  EXPECT_EQ(policy.check(r), Access::kUnauthorized);
  r.trawl_token = {};
  r.authorization = {};
  r.access_token = &token;
  EXPECT_EQ(policy.check(r), Access::kUnauthorized);  // not on a plain request
  r.path = "/api/stream";
  r.websocket = true;
  EXPECT_EQ(policy.check(r), Access::kAllowed);
  // The dashboard's files and /healthz are public; /metrics is not.
  EXPECT_EQ(policy.check(request("127.0.0.1", "/")), Access::kAllowed);
  EXPECT_EQ(policy.check(request("127.0.0.1", "/assets/index-abc.js")), Access::kAllowed);
  EXPECT_EQ(policy.check(request("127.0.0.1", "/healthz")), Access::kAllowed);
  EXPECT_EQ(policy.check(request("127.0.0.1", "/metrics")), Access::kUnauthorized);
  EXPECT_EQ(policy.check(request("127.0.0.1", "/api/stats")), Access::kUnauthorized);
}

}  // namespace
}  // namespace trawl::api
