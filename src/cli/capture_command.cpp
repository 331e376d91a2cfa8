#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "api/routes.h"
#include "cli/commands.h"
#include "cli/pipeline_options.h"
#include "cli/serve.h"
#include "hub/names_follower.h"
#include "kube/cluster_watch.h"
#include "kube/names_file.h"

namespace trawl {

namespace {

struct CaptureOptions {
  std::vector<std::string> interfaces;
  std::string bpf;
  bool promiscuous = false;
  int threads = 0;  // 0: one per core
  int ring_mb = 64;
  uint64_t store_mb = 2048;
  uint64_t max_age_hours = 168;
  uint64_t packet_mb = 512;
  PipelineOptions pipeline;
  double kube_watch_idle_s = 180;
  std::string names_from;  // a hub's URL: Kubernetes names from it, not from the API server
  bool no_packets = false;
  ServeOptions serve;
};

// The cluster to take names from: --kubeconfig, else the pod's own when
// trawl runs in one; none otherwise.
std::optional<kube::ClusterAccess> cluster_access(const PipelineOptions& o) {
  if (!o.kubeconfig.empty()) {
    try {
      return kube::load_kubeconfig(o.kubeconfig, o.context);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--kubeconfig: ") + e.what());
    }
  }
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (!host || !*host) return std::nullopt;
  try {
    return kube::in_cluster_access();
  } catch (const std::runtime_error& e) {
    std::cerr << "trawl capture: in a pod, but " << e.what() << ": no Kubernetes names\n";
    return std::nullopt;
  }
}

// Live names: the keeper (its history in the data dir, after any --names
// file) the identity stage reads; the watch is started by the caller.
std::shared_ptr<kube::NamesKeeper> names_keeper(const CaptureOptions& o,
                                                const std::string& data_dir) {
  std::shared_ptr<kube::NameHistory> start;
  if (!o.pipeline.names.empty()) {
    try {
      start = kube::load_names(o.pipeline.names);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--names: ") + e.what());
    }
  }
  std::filesystem::create_directories(data_dir);
  return std::make_shared<kube::NamesKeeper>(std::move(start), data_dir + "/names.jsonl");
}

// The node this worker runs on: what the DaemonSet gives as NODE_NAME (the
// downward API's spec.nodeName), else the host's name.
std::string this_node_name() {
  if (const char* n = std::getenv("NODE_NAME"); n && *n) return n;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int run_capture(const CaptureOptions& o) {
  block_stop_signals();
  WorkerSettings s;
  s.data_dir = o.serve.data_dir.empty() ? "trawl-data" : o.serve.data_dir;
  s.capture.interfaces = o.interfaces;
  // The worker's own API traffic is not captured: a dashboard watching it
  // would otherwise record itself without end.
  std::string own = "not tcp port " + std::to_string(o.serve.port);
  s.capture.bpf = o.bpf.empty() ? own : "(" + o.bpf + ") and " + own;
  s.capture.promiscuous = o.promiscuous;
  s.capture.threads =
      o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  // The threads share the interface's ring: their sockets' rings add up to it,
  // 32 MiB each at most (a larger one only touches more memory per packet).
  s.capture.ring_mb = std::clamp(o.ring_mb / s.capture.threads, 4, 32);
  s.store.max_bytes = o.store_mb << 20;
  s.store.max_age_us = int64_t(o.max_age_hours) * 3600 * 1000000;
  s.packet_bytes = o.packet_mb << 20;
  s.keep_packets = !o.no_packets;
  std::unique_ptr<ProtoSchema> schema;  // outlives the worker
  try {
    std::optional<kube::ClusterAccess> cluster;
    if (o.names_from.empty()) cluster = cluster_access(o.pipeline);
    PipelineOptions pipeline = o.pipeline;
    if (cluster || !o.names_from.empty()) {
      s.names = names_keeper(o, s.data_dir);
      if (pipeline.node_name.empty()) pipeline.node_name = this_node_name();
    }
    apply_pipeline_options(pipeline, s.pipeline, schema, s.names ? s.names->feed() : nullptr);
    Worker worker(s);
    std::unique_ptr<kube::ClusterWatch> watch;
    if (cluster) {
      kube::WatchSettings ws;
      ws.idle = std::chrono::milliseconds(int64_t(o.kube_watch_idle_s * 1000));
      std::cerr << "trawl: Kubernetes names from " << cluster->server << " (context "
                << cluster->context << ")\n";
      watch = std::make_unique<kube::ClusterWatch>(*cluster, *s.names, ws);
    }
    std::unique_ptr<hub::NamesFollower> follower;
    if (!o.names_from.empty()) {
      hub::Member hub;
      hub.name = "hub";
      std::string error;
      if (!api::ServerUrl::parse(o.names_from, hub.url, error))
        throw std::runtime_error("--names-from: " + error);
      std::cerr << "trawl: Kubernetes names from the hub at " << o.names_from << "\n";
      follower =
          std::make_unique<hub::NamesFollower>(hub, server_settings(o.serve).token, *s.names);
    }
    worker.start_capture();
    std::string where = o.interfaces.empty() ? "every interface" : "";
    for (const auto& i : o.interfaces) where += (where.empty() ? "" : ", ") + i;
    return serve_until_signal(worker, o.serve,
                              "capturing on " + where + " (" + std::to_string(s.capture.threads) +
                                  " threads), data in " + s.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "trawl capture: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

namespace {

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void block_stop_signals() {
  sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

StopSignals::StopSignals(std::function<void()> on_signal) {
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    sigset_t signals = stop_signals();
    timespec tick{0, 100'000'000};
    while (!done_) {
      if (sigtimedwait(&signals, nullptr, &tick) > 0) {
        received_ = true;
        on_signal();
        return;
      }
    }
  });
}

StopSignals::~StopSignals() {
  done_ = true;
  thread_.join();
}

api::ServerSettings server_settings(const ServeOptions& o) {
  api::ServerSettings ss;
  ss.address = o.address;
  ss.port = o.port;
  ss.token = o.token;
  if (ss.token.empty())
    if (const char* t = std::getenv("TRAWL_TOKEN")) ss.token = t;
  ss.ui_dir = o.ui_dir.empty() ? api::default_ui_dir() : o.ui_dir;
  ss.allowed_origins = o.allowed_origins;
  ss.allowed_hosts = o.allowed_hosts;
  ss.limits.query_timeout = std::chrono::milliseconds(int64_t(o.query_timeout_s * 1000));
  ss.limits.write_timeout = std::chrono::milliseconds(int64_t(o.client_timeout_s * 1000));
  return ss;
}

int serve_until_signal(Worker& worker, const ServeOptions& opts, const std::string& what) {
  // Signals are taken by one thread, which stops the server; the others never see them.
  block_stop_signals();
  api::Server server(worker, server_settings(opts));
  std::cerr << "trawl: " << what << "\ntrawl: API and dashboard at http://"
            << (opts.address.find(':') != std::string::npos ? "[" + opts.address + "]"
                                                            : opts.address)
            << ":" << server.port() << "/ (Ctrl-C stops)\n";
  {
    StopSignals signals([&] { server.stop(); });
    server.run();
  }
  worker.stop();
  StoreStats st = worker.store().stats();
  std::cerr << "trawl: stopped; " << st.entries << " entries kept (last id " << st.last_id << ")\n";
  return 0;
}

void add_serve_options(CLI::App& c, ServeOptions& o) {
  c.add_option("--ui-dir", o.ui_dir,
               "the dashboard's built assets (default: ui/dist next to the binary)");
  c.add_option("--token", o.token,
               "bearer token the API requires, at least 16 characters (needed off loopback; also "
               "TRAWL_TOKEN)");
  c.add_option("--allow-origin", o.allowed_origins,
               "an origin (scheme://host[:port]) whose pages may use the API (repeatable; "
               "default: the dashboard's own only)");
  c.add_option("--allow-host", o.allowed_hosts,
               "a name the API may be reached by, beyond addresses, localhost and this machine's "
               "name (repeatable)");
  c.add_option("--query-timeout", o.query_timeout_s,
               "seconds a query may run before its page is answered partial, with a cursor")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  c.add_option("--client-timeout", o.client_timeout_s,
               "seconds a client may take nothing of an answer (or the live stream) before it is "
               "cut off")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 3600.0));
}

void add_capture_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CaptureOptions>();
  CLI::App* c = app.add_subcommand("capture", "Capture live traffic, keep it and serve the API");
  c->add_option("-i,--interface", o->interfaces,
                "interface to capture on (repeatable); default: every interface, new ones too");
  c->add_option("--filter-bpf", o->bpf, "capture filter in tcpdump syntax, e.g. 'tcp port 80'");
  c->add_flag("--promisc", o->promiscuous, "promiscuous mode (needs CAP_NET_ADMIN)");
  c->add_option("--threads", o->threads, "capture threads (default: one per core)");
  c->add_option("--ring-mb", o->ring_mb,
                "kernel ring per interface, shared by the capture threads (32 MiB each at most): "
                "absorbs bursts while they are busy")
      ->capture_default_str();
  c->add_option("--data-dir", o->serve.data_dir, "where entries and packets are kept")
      ->default_str("trawl-data");
  c->add_option("--store-mb", o->store_mb, "size budget of the entry store")->capture_default_str();
  c->add_option("--max-age-hours", o->max_age_hours, "entries older than this are dropped")
      ->capture_default_str();
  c->add_option("--packet-mb", o->packet_mb, "size budget of the packet ring")
      ->capture_default_str();
  c->add_flag("--no-packets", o->no_packets, "keep entries only, not the packets behind them");
  add_pipeline_options(*c, o->pipeline);
  c->add_option("--kube-watch-idle", o->kube_watch_idle_s,
                "seconds a Kubernetes watch may send nothing, not even a bookmark, before it is "
                "reopened")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 86400.0));
  c->add_option("--names-from", o->names_from,
                "Kubernetes names from this hub (http://host:port, asked every second with the "
                "API token), not from the API server: in a cluster only the hub watches it");
  c->add_option("--address", o->serve.address, "address the API listens on")->capture_default_str();
  c->add_option("--port", o->serve.port, "API port")->capture_default_str();
  add_serve_options(*c, o->serve);
  c->callback([o, &exit_code]() { exit_code = run_capture(*o); });
}

}  // namespace trawl
