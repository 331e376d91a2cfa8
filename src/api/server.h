// The worker's HTTP/1.1 and WebSocket server (Boost.Beast), on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "worker/worker.h"

namespace trawl::api {

struct ServerSettings {
  std::string address = "127.0.0.1";
  uint16_t port = 8899;  // 0: any free port (tests)
  std::string token;     // required as "Authorization: Bearer <token>" when set
  std::string ui_dir;    // the dashboard's built assets ("": none)
};

class Server {
 public:
  // Binds; throws std::runtime_error saying why it cannot (the port is taken,
  // or an address other than loopback without a token).
  Server(Worker& worker, ServerSettings settings);
  ~Server();
  // Serves until stop().
  void run();
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::api
