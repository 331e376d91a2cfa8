// The HTTP/1.1 and WebSocket server of a worker or a hub (Boost.Beast): one I/O thread that
// only reads, checks and writes, and a query pool for the work that scans.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "worker/worker.h"

namespace trawl::api {

struct ServerLimits {
  int query_threads = 2;
  size_t max_waiting_queries = 64;                  // beyond: 503
  std::chrono::milliseconds query_timeout{10'000};  // a page stops here, partial, with a cursor
  // A client that takes nothing of an answer for this long is cut off.
  std::chrono::milliseconds write_timeout{20'000};
  std::chrono::milliseconds idle_timeout{60'000};  // a keep-alive connection with no request
  size_t max_connections = 1024;
  size_t max_stream_clients = 256;
  size_t header_bytes = 24 * 1024;  // request line and headers (a query in the URL)
  size_t slice_bytes = 256 * 1024;  // of an answer, made and sent at a time
  std::chrono::milliseconds slice_time{100};
  size_t stream_client_bytes = 2 << 20;  // entries queued for one live stream client
};

struct ServerSettings {
  std::string address = "127.0.0.1";
  uint16_t port = 8899;                      // 0: any free port (tests)
  std::string token;                         // required as "Authorization: Bearer <token>" when set
  std::string ui_dir;                        // the dashboard's built assets ("": none)
  std::vector<std::string> allowed_origins;  // other origins whose pages may use the API
  std::vector<std::string> allowed_hosts;    // names the API may be reached by (Host)
  ServerLimits limits;
};

class Backend;

class Server {
 public:
  // Binds; throws std::runtime_error saying why it cannot (the port is taken,
  // an address other than loopback without a token, a token too short, an
  // allowed origin that is not one).
  Server(Worker& worker, ServerSettings settings);
  // Serves another backend (a hub's); it outlives the server.
  Server(Backend& backend, ServerSettings settings);
  ~Server();
  // Serves until stop().
  void run();
  void stop();
  uint16_t port() const;

 private:
  void open(Backend& backend, ServerSettings settings);
  struct Impl;
  std::unique_ptr<Backend> worker_backend_;  // first: the sessions use it until impl_ goes
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::api
