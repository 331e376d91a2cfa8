// Who may ask, and which route answers: everything about a request but its socket.
#include "api/sessions.h"

namespace trawl::api {

namespace {

std::string_view header(const Request& req, http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string_view()
                         : std::string_view(it->value().data(), it->value().size());
}

std::string_view header(const Request& req, std::string_view name) {
  auto it = req.find(beast::string_view(name.data(), name.size()));
  return it == req.end() ? std::string_view()
                         : std::string_view(it->value().data(), it->value().size());
}

Dispatch answer(Reply r, bool keep_alive, bool head = false) {
  Dispatch d;
  d.reply = std::move(r);
  d.keep_alive = keep_alive;
  d.head = head;
  return d;
}

// The refusal for a request the policy does not allow (status 200: none).
Reply refusal(Access access, const RequestFacts& facts, ApiCounters& counters) {
  Reply r;
  switch (access) {
    case Access::kAllowed:
      break;
    case Access::kBadHost:
      ++counters.forbidden;
      r = error_reply(403, "Host \"" + std::string(facts.host) +
                               "\" is not a name of this worker (allow one with --allow-host)");
      break;
    case Access::kForeignOrigin:
      ++counters.forbidden;
      r = error_reply(403, "requests from the origin \"" + std::string(facts.origin) +
                               "\" are not allowed (allow one with --allow-origin)");
      break;
    case Access::kUnauthorized:
      ++counters.unauthorized;
      r = error_reply(401, "this worker needs \"Authorization: Bearer <token>\"");
      r.headers["WWW-Authenticate"] = "Bearer";
      break;
  }
  return r;
}

}  // namespace

Dispatch dispatch(const ServerContext& context, const Request& req) {
  Target t;
  if (!Target::parse(std::string_view(req.target().data(), req.target().size()), t))
    return answer(error_reply(400, "malformed request target"), false);
  bool upgrade = beast::websocket::is_upgrade(req);
  auto token = t.params.find("access_token");
  RequestFacts facts{header(req, http::field::host),
                     header(req, http::field::origin),
                     header(req, "Sec-Fetch-Site"),
                     header(req, "Sec-Fetch-Mode"),
                     header(req, http::field::authorization),
                     token == t.params.end() ? nullptr : &token->second,
                     header(req, "X-Trawl-Token"),
                     t.path,
                     upgrade};
  Reply refused = refusal(context.policy.check(facts), facts, context.counters);
  context.policy.add_headers(facts, refused.headers);
  if (refused.status != 200) return answer(std::move(refused), false);
  const auto& common = refused.headers;
  auto with_common = [&](Reply r) {
    r.headers.insert(common.begin(), common.end());
    return r;
  };
  if (upgrade) {
    if (t.path != "/api/stream")
      return answer(with_common(error_reply(404, "WebSocket is served at /api/stream")), false);
    if (context.counters.stream_clients >= context.settings.limits.max_stream_clients) {
      ++context.counters.connections_refused;
      return answer(with_common(error_reply(503, "too many live stream clients")), false);
    }
    Dispatch d;
    d.kind = Dispatch::Kind::kStream;
    return d;
  }
  bool head = req.method() == http::verb::head;
  if (req.method() == http::verb::options) {
    Reply r = with_common({});
    r.status = 204;
    r.headers["Allow"] = "GET, HEAD, OPTIONS";
    return answer(std::move(r), req.keep_alive());
  }
  if (req.method() != http::verb::get && !head) {
    Reply r = with_common(error_reply(405, "only GET is served"));
    r.headers["Allow"] = "GET, HEAD";
    return answer(std::move(r), req.keep_alive());
  }
  Routed routed = context.backend.route_get(t, context.settings.ui_dir, &context.counters);
  if (!routed.sliced) return answer(with_common(std::move(routed.reply)), req.keep_alive(), head);
  Dispatch d;
  d.kind = Dispatch::Kind::kSliced;
  d.reply.headers = common;
  d.sliced = std::move(routed.sliced);
  d.keep_alive = req.keep_alive();
  d.head = head;
  return d;
}

}  // namespace trawl::api
