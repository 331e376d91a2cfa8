// Serving a worker's API from the command line, until SIGINT or SIGTERM.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

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
  std::vector<std::string> allowed_origins, allowed_hosts;
  double query_timeout_s = 10;
  double client_timeout_s = 20;
};

// The options of the dashboard, who may reach the API and how long a query may
// run, shared by every serving command.
void add_serve_options(CLI::App& command, ServeOptions& o);

// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread it starts
// later, so that StopSignals receives them: call before any thread is started.
void block_stop_signals();

// Waits for a stop signal on a thread of its own and runs `on_signal` there
// (once); stops waiting when destroyed.
class StopSignals {
 public:
  explicit StopSignals(std::function<void()> on_signal);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  bool received() const { return received_; }

 private:
  std::atomic<bool> done_{false}, received_{false};
  std::thread thread_;
};

// The server's settings from the options (the token from TRAWL_TOKEN when not given).
api::ServerSettings server_settings(const ServeOptions& o);

// Serves until a signal; prints where. Returns the exit code.
int serve_until_signal(Worker& worker, const ServeOptions& o, const std::string& what);

}  // namespace trawl
