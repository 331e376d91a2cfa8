#include <iostream>

#include "cli/commands.h"
#include "cli/serve.h"
#include "hub/hub.h"
#include "hub/merge.h"

namespace trawl {

namespace {

struct HubOptions {
  ServeOptions serve;
  std::vector<std::string> workers;
  double member_timeout_s = 5;
  // What the cluster deployment passes (deploy/): where the workers are.
  std::string worker_namespace, cluster_name;
  int worker_port = 8897;
};

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

int run_hub(const HubOptions& o) {
  hub::HubSettings hs;
  for (const std::string& w : o.workers) hs.members.push_back(parse_member(w));
  if (hs.members.empty())
    throw std::invalid_argument(
        "no members: give --workers NAME=URL,... (finding the workers of --worker-namespace "
        "from the cluster is not built yet)");
  for (size_t i = 0; i < hs.members.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (hs.members[i].name == hs.members[j].name)
        throw std::invalid_argument("--workers: two members named " + hs.members[i].name);
  api::ServerSettings ss = server_settings(o.serve);
  hs.token = ss.token;
  hs.member_timeout = std::chrono::milliseconds(int64_t(o.member_timeout_s * 1000));
  block_stop_signals();
  hub::HubBackend backend(std::move(hs));
  api::Server server(backend, ss);
  std::cerr << "trawl hub: " << o.workers.size() << " members; API and dashboard at http://"
            << ss.address << ":" << server.port() << "/ (Ctrl-C stops)\n";
  StopSignals signals([&] { server.stop(); });
  server.run();
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
