// Serving a worker's API from the command line, until SIGINT or SIGTERM.
#pragma once

#include <string>

#include "api/server.h"
#include "worker/worker.h"

namespace trawl {

// Options every serving command shares.
struct ServeOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8899;
  std::string token;  // also TRAWL_TOKEN
  std::string data_dir;
  std::string ui_dir;  // "": ui/dist next to the binary
};

// Blocks SIGINT and SIGTERM in this thread and every thread it starts later,
// so serve_until_signal() receives them: call before any thread is started.
void block_stop_signals();

// Serves until a signal; prints where. Returns the exit code.
int serve_until_signal(Worker& worker, const ServeOptions& o, const std::string& what);

}  // namespace trawl
