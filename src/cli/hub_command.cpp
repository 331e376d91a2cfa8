#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/serve.h"
#include "hub/hub.h"
#include "hub/merge.h"
#include "kube/cluster_watch.h"

namespace trawl {

namespace {

struct HubOptions {
  ServeOptions serve;
  std::vector<std::string> workers;
  std::vector<std::string> member_token_files;  // NAME=PATH
  double member_timeout_s = 5;
  // What the cluster deployment passes (deploy/): where the workers are.
  std::string worker_namespace, cluster_name;
  int worker_port = 8897;
  std::string kubeconfig, context;
};

// The cluster the hub watches: --kubeconfig, else its pod's own; none otherwise.
std::optional<kube::ClusterAccess> cluster_of(const HubOptions& o) {
  if (!o.kubeconfig.empty()) return kube::load_kubeconfig(o.kubeconfig, o.context);
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (!host || !*host) return std::nullopt;
  return kube::in_cluster_access();
}

// The workers: the running pods of the DaemonSet (by its labels) in their
// namespace, each named by its node and reached at its address (the node's:
// they use the host network).
hub::Members workers_in(const kube::NamesKeeper& names, const HubOptions& o) {
  hub::Members out;
  for (const kube::Object& object : names.objects_of("Pod")) {
    const auto* pod = std::get_if<kube::Pod>(&object);
    if (!pod || pod->meta.namespace_ != o.worker_namespace || pod->phase != "Running" ||
        pod->ips.empty())
      continue;
    auto label = [&](std::string_view k) {
      for (const auto& [key, value] : pod->meta.labels)
        if (key == k) return value;
      return std::string();
    };
    if (label("app.kubernetes.io/name") != "trawl" ||
        label("app.kubernetes.io/component") != "worker")
      continue;
    hub::Member m;
    m.name = pod->node.empty() ? pod->meta.name : pod->node;
    m.url.host = pod->ips.front();
    m.url.port = std::to_string(o.worker_port);
    if (hub::valid_member_name(m.name)) out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// Keeps the hub's members those the cluster runs, until `stop`.
void follow_workers(hub::HubBackend& hub, const kube::NamesKeeper& names, const HubOptions& o,
                    const std::atomic<bool>& stop) {
  std::string known;
  while (!stop) {
    hub::Members now = workers_in(names, o);
    std::string text;
    for (const auto& m : now) text += m.name + "=" + m.url.authority() + " ";
    if (text != known) {
      std::cerr << "trawl hub: workers: " << (text.empty() ? "none" : text) << "\n";
      hub.set_members(std::move(now));
      known = text;
    }
    for (int i = 0; i < 10 && !stop; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// "name=http://host:port", or "http://host:port" named "host-port".
hub::Member parse_member(const std::string& text) {
  hub::Member m;
  size_t eq = text.find('=');
  std::string url = eq == std::string::npos ? text : text.substr(eq + 1);
  std::string error;
  if (!api::ServerUrl::parse(url, m.url, error))
    throw std::invalid_argument("--workers " + text + ": " + error);
  m.name = eq == std::string::npos ? m.url.host + "-" + m.url.port : text.substr(0, eq);
  for (char& c : m.name)
    if (c == ':') c = '-';
  if (!hub::valid_member_name(m.name))
    throw std::invalid_argument("--workers " + text +
                                ": a member's name is letters, digits, '.', '-' and '_'");
  return m;
}

// --member-token-file NAME=PATH: the token member NAME asks for (another
// cluster's hub has its own), read from a file so it is not on a command line.
void set_member_tokens(hub::Members& members, const std::vector<std::string>& files) {
  for (const std::string& text : files) {
    size_t eq = text.find('=');
    auto m = std::find_if(members.begin(), members.end(),
                          [&](const hub::Member& m) { return m.name == text.substr(0, eq); });
    if (eq == std::string::npos || m == members.end())
      throw std::invalid_argument("--member-token-file " + text +
                                  ": NAME=PATH, NAME one of --workers");
    std::ifstream in(text.substr(eq + 1));
    std::string token;
    if (!(in >> token))
      throw std::invalid_argument("--member-token-file " + text + ": no token in it");
    m->token = token;
  }
}

int run_hub(const HubOptions& o) {
  hub::HubSettings hs;
  for (const std::string& w : o.workers) hs.members.push_back(parse_member(w));
  set_member_tokens(hs.members, o.member_token_files);
  std::optional<kube::ClusterAccess> cluster = cluster_of(o);
  bool discover = hs.members.empty() && !o.worker_namespace.empty();
  if (discover && !cluster)
    throw std::invalid_argument(
        "--worker-namespace finds the workers in the cluster: give "
        "--kubeconfig, or run in a pod");
  if (hs.members.empty() && !discover)
    throw std::invalid_argument("no members: give --workers NAME=URL,... or --worker-namespace");
  std::unique_ptr<kube::ClusterWatch> watch;
  if (cluster) {
    std::string dir = o.serve.data_dir.empty() ? "trawl-hub-data" : o.serve.data_dir;
    std::filesystem::create_directories(dir);
    hs.names = std::make_shared<kube::NamesKeeper>(nullptr, dir + "/names.jsonl");
    std::cerr << "trawl hub: Kubernetes names from " << cluster->server << " (context "
              << cluster->context << ")\n";
    watch = std::make_unique<kube::ClusterWatch>(*cluster, *hs.names);
  }
  for (size_t i = 0; i < hs.members.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (hs.members[i].name == hs.members[j].name)
        throw std::invalid_argument("--workers: two members named " + hs.members[i].name);
  api::ServerSettings ss = server_settings(o.serve);
  hs.token = ss.token;
  hs.member_timeout = std::chrono::milliseconds(int64_t(o.member_timeout_s * 1000));
  block_stop_signals();
  auto names = hs.names;
  hub::HubBackend backend(std::move(hs));
  api::Server server(backend, ss);
  std::atomic<bool> stop{false};
  std::thread discovery;
  if (discover) discovery = std::thread([&] { follow_workers(backend, *names, o, stop); });
  std::cerr << "trawl hub: API and dashboard at http://" << ss.address << ":" << server.port()
            << "/ (Ctrl-C stops)\n";
  {
    StopSignals signals([&] { server.stop(); });
    server.run();
  }
  stop = true;
  if (discovery.joinable()) discovery.join();
  return 0;
}

}  // namespace

void add_hub_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<HubOptions>();
  CLI::App* c = app.add_subcommand(
      "hub", "One API and dashboard over several workers (or hubs): queries fan out and merge");
  c->add_option("--workers", o->workers,
                "members: NAME=http://host:port (a node's worker, or another cluster's hub), "
                "comma-separated or repeated")
      ->delimiter(',');
  c->add_option("--member-token-file", o->member_token_files,
                "NAME=PATH: the token member NAME asks for, read from PATH (default: --token)");
  c->add_option("--member-timeout", o->member_timeout_s,
                "seconds a member has to answer; slower ones are named in the answer (partial)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  c->add_option("--address", o->serve.address, "address the API listens on")->capture_default_str();
  c->add_option("--port", o->serve.port, "API port")->capture_default_str();
  c->add_option("--data-dir", o->serve.data_dir, "where the hub keeps what it must (names)");
  c->add_option("--worker-namespace", o->worker_namespace, "the namespace the workers run in");
  c->add_option("--worker-port", o->worker_port, "the port the workers listen on")
      ->capture_default_str();
  c->add_option("--cluster-name", o->cluster_name, "this cluster's name");
  c->add_option("--kubeconfig", o->kubeconfig,
                "the cluster to watch for names (default: the pod's own, in a pod); the workers "
                "take their names from the hub (capture --names-from)");
  c->add_option("--context", o->context, "the kubeconfig's context (default: its current one)");
  add_serve_options(*c, o->serve);
  c->callback([o, &exit_code] {
    try {
      exit_code = run_hub(*o);
    } catch (const std::exception& e) {
      std::cerr << "trawl hub: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace trawl
