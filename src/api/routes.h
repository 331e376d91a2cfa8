// The worker's HTTP API, apart from the socket plumbing (server.cpp): a request
// line in, a reply out.
#pragma once

#include <map>
#include <string>

#include "worker/worker.h"

namespace trawl::api {

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

// The path and decoded parameters of a request target ("/api/entries?q=http").
struct Target {
  std::string path;
  std::map<std::string, std::string> params;
  // False for a target that is not a path, or a bad %-escape.
  static bool parse(std::string_view target, Target& out);
};

Reply error_reply(int status, std::string message);

// GET routes: /healthz, /metrics, /api/stats, /api/validate, /api/entries,
// /api/entries/{id}, /api/entries/{id}/pcap; anything else is a file of the
// dashboard in `ui_dir` (its built assets), or a page listing the API without one.
Reply handle_get(Worker& worker, const Target& target, const std::string& ui_dir = "");

// The dashboard's built assets next to the binary (<exe>/../ui/dist), or "".
std::string default_ui_dir();

}  // namespace trawl::api
