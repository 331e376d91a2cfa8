// The worker's HTTP API, apart from the socket plumbing (server.cpp): a request
// target in, a reply out: whole for cheap routes, in slices for the ones that
// scan the store or the packet ring.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "base/cancellation.h"
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

// What the server counts about its clients; in /api/stats ("api") and /metrics.
struct ApiCounters {
  std::atomic<uint64_t> connections{0};          // open now
  std::atomic<uint64_t> connections_refused{0};  // over the connection limit
  std::atomic<uint64_t> accept_errors{0};        // out of file descriptors, mostly
  std::atomic<uint64_t> forbidden{0};            // foreign Origin or Host
  std::atomic<uint64_t> unauthorized{0};
  std::atomic<uint64_t> server_errors{0};       // requests a handler failed (500)
  std::atomic<uint64_t> slow_clients_cut{0};    // did not read an answer in time
  std::atomic<uint64_t> queries_timed_out{0};   // stopped at their deadline (partial answers)
  std::atomic<uint64_t> queries_cancelled{0};   // stopped because the client left
  std::atomic<uint64_t> queries_rejected{0};    // 503: too many waiting
  std::atomic<uint64_t> stream_clients{0};      // WebSocket clients now
  std::atomic<uint64_t> stream_clients_cut{0};  // stopped reading: cut off
  Json to_json() const;
};

// How much one slice of a sliced reply may do before the server sends it.
struct SliceBudget {
  const Cancellation& request;  // the client left, or the request's deadline passed
  Cancellation::Clock::time_point slice_end;
  size_t max_bytes;
  bool spent(size_t out_size) const {
    return out_size >= max_bytes || Cancellation::Clock::now() >= slice_end;
  }
  int64_t slice_end_ns() const {
    return slice_end == Cancellation::Clock::time_point::max()
               ? INT64_MAX
               : std::chrono::duration_cast<std::chrono::nanoseconds>(slice_end.time_since_epoch())
                     .count();
  }
};

// A reply made a slice at a time (on the query pool), so that a large answer
// costs one slice of memory per client and a long one can be stopped.
class SlicedReply {
 public:
  virtual ~SlicedReply() = default;
  // Appends the next part of the body to `out`; true when the body is complete.
  // The first call may change status, content type and headers (sent after it).
  virtual bool next(std::string& out, const SliceBudget& budget) = 0;

  int status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

// A route's answer: `sliced` when it must be made on the query pool, else `reply`.
struct Routed {
  Reply reply;
  std::unique_ptr<SlicedReply> sliced;
};

// GET routes: /healthz, /metrics, /api/stats, /api/validate, /api/entries,
// /api/entries/{id}, /api/entries/{id}/pcap; anything else is a file of the
// dashboard in `ui_dir` (its built assets), or a page listing the API without one.
// `counters`, when given, are served in /api/stats and /metrics.
Routed route_get(Worker& worker, const Target& target, const std::string& ui_dir,
                 ApiCounters* counters = nullptr);

// route_get with any sliced reply made whole at once (tests, tools).
Reply handle_get(Worker& worker, const Target& target, const std::string& ui_dir = "");

// The dashboard's built assets next to the binary (<exe>/../ui/dist), or "".
std::string default_ui_dir();

}  // namespace trawl::api
