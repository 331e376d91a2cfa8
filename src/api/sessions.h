// What the server's sessions share (server.cpp, stream_session.cpp).
#pragma once

#include "api/access.h"
#include "api/backend.h"
#include "api/beast.h"
#include "api/query_pool.h"
#include "api/routes.h"
#include "api/server.h"

namespace trawl::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

struct ServerContext {
  Backend& backend;
  const ServerSettings& settings;
  const AccessPolicy& policy;
  QueryPool& pool;
  ApiCounters& counters;
};

// One open connection, counted while it lives (moved from the HTTP session to
// the WebSocket session that takes over its socket).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ApiCounters& c) : counters_(&c) { ++counters_->connections; }
  ConnectionSlot(ConnectionSlot&& o) noexcept : counters_(o.counters_) { o.counters_ = nullptr; }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (counters_) --counters_->connections;
  }

 private:
  ApiCounters* counters_;
};

// What to do with one request, decided without the socket: answer now, make
// a sliced answer on the query pool, or hand the connection to the live stream.
struct Dispatch {
  enum class Kind { kReply, kSliced, kStream } kind = Kind::kReply;
  Reply reply;  // kReply; for kSliced, the headers every answer carries
  std::unique_ptr<SlicedReply> sliced;
  bool keep_alive = false, head = false;
};

// Checks who asks (Host, Origin, token), then routes. Never throws for a bad
// request: it is a 4xx.
Dispatch dispatch(const ServerContext& context, const Request& request);

// Takes over an HTTP connection that asked for the live stream (checked already).
void start_stream_session(tcp::socket socket, ConnectionSlot slot, const ServerContext& context,
                          Request request);

}  // namespace trawl::api
