// The worker's HTTP API, apart from the socket plumbing (server.cpp): a request
// target in, a reply out: whole for cheap routes, in slices for the ones that
// scan the store or the packet ring.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
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
Reply text_reply(std::string content_type, std::string body);

// What the server counts about its clients: X(member, key, metric, help), in
// /api/stats ("api") by key and in /metrics as the named Prometheus counter;
// counters that name the same metric are summed into it (its help is the first's).
#define TRAWL_API_COUNTERS(X)                                                                  \
  X(connections, "connections", "", "Connections open now.")                                   \
  X(connections_refused, "connections_refused", "trawl_api_refused_total",                     \
    "Requests refused: foreign origin or host, no token, or over a limit.")                    \
  X(accept_errors, "accept_errors", "", "Connections not accepted (out of descriptors).")      \
  X(forbidden, "forbidden", "trawl_api_refused_total", "Foreign Origin or Host.")              \
  X(unauthorized, "unauthorized", "trawl_api_refused_total", "No or a wrong token.")           \
  X(server_errors, "server_errors", "", "Requests a handler failed (500).")                    \
  X(slow_clients_cut, "slow_clients_cut", "trawl_api_slow_clients_cut_total",                  \
    "API clients cut off because they did not read their answer in time.")                     \
  X(queries_timed_out, "queries_timed_out", "trawl_api_queries_timed_out_total",               \
    "Queries stopped at their deadline (partial answers).")                                    \
  X(queries_cancelled, "queries_cancelled", "", "Queries stopped because the client left.")    \
  X(queries_rejected, "queries_rejected", "trawl_api_refused_total", "503: too many waiting.") \
  X(stream_clients, "stream_clients", "", "WebSocket clients now.")                            \
  X(stream_clients_cut, "stream_clients_cut", "trawl_api_slow_clients_cut_total",              \
    "Stream clients that stopped reading: cut off.")

#define TRAWL_API_COUNTER_MEMBER(member, key, metric, help) std::atomic<uint64_t> member{0};

struct ApiCounters {
  TRAWL_API_COUNTERS(TRAWL_API_COUNTER_MEMBER)
  Json to_json() const;
  // Appends the Prometheus counters, each the sum of the counters naming it.
  void write_metrics(std::string& out) const;
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

// What every server answers alike: the dashboard's files (or a page listing
// the API without them), /healthz and /api/validate; nothing for other paths.
std::optional<Reply> route_common(const Target& target, const std::string& ui_dir);

// /api/names: the name history as NDJSON; ?ip=ADDR one address's owners;
// /api/names/changes?since=POS what a follower takes next ({"next",
// "snapshot", "lines"}, kube/names_keeper.h). 404 without names.
Reply names_reply(kube::NamesKeeper* keeper, const Target& target);

// route_get with any sliced reply made whole at once (tests, tools).
Reply handle_get(Worker& worker, const Target& target, const std::string& ui_dir = "");

// The dashboard's built assets next to the binary (<exe>/../ui/dist, or
// installed: <exe>/../share/trawl/ui), or "".
std::string default_ui_dir();

}  // namespace trawl::api
