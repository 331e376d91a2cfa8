#include <openssl/evp.h>

#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/serve.h"
#include "entries/json_parse.h"
#include "kube/cluster_apply.h"
#include "kube/manifests.h"
#include "kube/service_proxy.h"
#include "query/kfl.h"

namespace trawl {

namespace {

struct DeployOptions {
  kube::DeploySettings settings;
  std::string image = "trawl:latest";
  bool all_namespaces = false;
  std::string kubeconfig, context;
  bool dry_run = false;
  double timeout_s = 300;
  uint16_t proxy_port = 8899;
};

// The cluster: --kubeconfig, else $KUBECONFIG, else ~/.kube/config (as kubectl).
kube::ClusterAccess cluster_of(const DeployOptions& o) {
  std::string path = o.kubeconfig;
  if (path.empty())
    if (const char* env = std::getenv("KUBECONFIG"); env && *env)
      path = std::string(env).substr(0, std::string(env).find(':'));
  if (path.empty())
    if (const char* home = std::getenv("HOME")) path = std::string(home) + "/.kube/config";
  return kube::load_kubeconfig(path, o.context);
}

void add_cluster_options(CLI::App& c, DeployOptions& o) {
  c.add_option("--kubeconfig", o.kubeconfig,
               "the cluster (default: $KUBECONFIG, else ~/.kube/config)");
  c.add_option("--context", o.context, "the kubeconfig's context (default: its current one)");
}

void add_proxy_port(CLI::App& c, DeployOptions& o) {
  c.add_option("--proxy-port", o.proxy_port, "the dashboard's port on this machine")
      ->capture_default_str();
}

// The options `tap` and `manifests` share: what is deployed and how.
void add_deploy_options(CLI::App& c, DeployOptions& o) {
  kube::DeploySettings& s = o.settings;
  c.add_option("pod-regex", s.pod_regex,
               "keep only traffic to or from pods whose name matches (RE2), e.g. '^(web|api)-'");
  c.add_option("-n,--namespace", s.namespaces,
               "keep only traffic to or from pods of this namespace (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1)
      ->allow_extra_args(false);
  c.add_flag("-A,--all-namespaces", o.all_namespaces, "keep traffic of every namespace");
  c.add_option("--trawl-namespace", s.namespace_, "the namespace trawl itself runs in")
      ->capture_default_str();
  c.add_option("--image", o.image, "the worker and hub image")->capture_default_str();
  c.add_option("--pull-policy", s.image_pull_policy)
      ->capture_default_str()
      ->check(CLI::IsMember({"Always", "IfNotPresent", "Never"}));
  c.add_option("--cluster-name", s.cluster_name, "cluster.name on every entry");
  c.add_option("--token", s.token,
               "the token the hub and workers share (default: a new random one)");
  c.add_option("--store-mb", s.store_mb, "each worker's entry store")->capture_default_str();
  c.add_option("--packet-mb", s.packet_mb, "each worker's packet ring")->capture_default_str();
  c.add_option("--max-age-hours", s.retention_hours, "entries older than this are dropped")
      ->capture_default_str();
  c.add_option("--hub-service-type", s.hub_service_type)
      ->capture_default_str()
      ->check(CLI::IsMember({"ClusterIP", "NodePort", "LoadBalancer"}));
  c.add_option("--worker-port", s.worker_port, "the port workers listen on, on every node")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  c.add_option("--hub-port", s.hub_port)->capture_default_str()->check(CLI::Range(1, 65535));
}

// Settings complete: the image split, -A applied, a token made when none was given.
void finish(DeployOptions& o) {
  kube::DeploySettings& s = o.settings;
  size_t colon = o.image.rfind(':');
  if (colon != std::string::npos && o.image.find('/', colon) == std::string::npos) {
    s.image_repository = o.image.substr(0, colon);
    s.image_tag = o.image.substr(colon + 1);
  } else {
    s.image_repository = o.image;
  }
  if (o.all_namespaces) s.namespaces.clear();
  kfl::CompileError error;
  // A bad regex fails here, not on every node.
  if (!kfl::Query::compile(kube::keep_expression(s), error))
    throw std::invalid_argument("the pod regex or a namespace: " + error.text());
  if (s.token.empty()) s.token = kube::generate_token();
}

std::string base64_decode(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return "";
  size_t pad = in.size() - in.find_last_not_of('=') - 1;
  out.resize(size_t(n) - std::min(pad, size_t(n)));
  return out;
}

// The token a deployment already runs with, or "": a second tap keeps it
// (running pods do not see a changed Secret).
std::string deployed_token(kube::ApiClient& client, const std::string& ns) {
  auto [status, body] = client.get("/api/v1/namespaces/" + ns + "/secrets/" + ns + "-token",
                                   std::chrono::seconds(30));
  Json secret;
  if (status != 200 || !parse_json(body, secret)) return "";
  const Json* data = secret.find("data");
  const Json* token = data && data->is_object() ? data->find("token") : nullptr;
  if (token && token->is_string()) return base64_decode(token->str());
  const Json* string_data = secret.find("stringData");  // a stand-in may keep it so
  token = string_data && string_data->is_object() ? string_data->find("token") : nullptr;
  return token && token->is_string() ? token->str() : "";
}

// Serves the dashboard through the API server until Ctrl-C.
int proxy_until_signal(const kube::ClusterAccess& cluster, const kube::DeploySettings& s,
                       uint16_t port) {
  kube::ServiceProxySettings ps;
  ps.port = port;
  ps.service_path = "/api/v1/namespaces/" + s.namespace_ + "/services/" + s.namespace_ +
                    "-hub:" + std::to_string(s.hub_port) + "/proxy";
  ps.service_token = s.token;
  kube::ServiceProxy proxy(cluster, ps);
  std::cerr << "trawl: dashboard at http://localhost:" << proxy.port()
            << "/ through the API server (Ctrl-C stops the proxy; trawl keeps running: "
               "`trawl proxy` comes back, `trawl clean` removes it)\n";
  StopSignals signals([&] { proxy.stop(); });
  proxy.run();
  return 0;
}

// Applies every object, then waits for the workers and the hub.
bool apply_and_wait(kube::ApiClient& client, const DeployOptions& o) {
  for (const Json& object : kube::manifests(o.settings)) {
    kube::apply_object(client, object);
    std::cerr << "trawl tap: applied " << object.find("kind")->str() << " "
              << object.find("metadata")->find("name")->str() << "\n";
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(o.timeout_s * 1000));
  std::string shown;
  while (true) {
    kube::Rollout r = kube::rollout(client, o.settings);
    std::string now = "workers ready " + std::to_string(r.workers_ready) + "/" +
                      std::to_string(r.workers_desired) + ", hub " +
                      (r.hub_ready ? "ready" : "not ready");
    if (now != shown) std::cerr << "trawl tap: " << (shown = now) << "\n";
    if (r.done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int run_tap(DeployOptions& o) {
  kube::ClusterAccess cluster = cluster_of(o);
  if (o.settings.cluster_name.empty()) o.settings.cluster_name = cluster.cluster;
  kube::Credentials credentials(cluster);
  kube::ApiClient client(cluster, credentials);
  if (o.settings.token.empty()) o.settings.token = deployed_token(client, o.settings.namespace_);
  finish(o);
  if (o.dry_run) {
    std::cout << kube::manifests_yaml(o.settings);
    return 0;
  }
  block_stop_signals();
  if (!apply_and_wait(client, o)) {
    std::cerr << "trawl tap: not ready within " << o.timeout_s << " s (kubectl -n "
              << o.settings.namespace_ << " get pods, describe)\n";
    return 1;
  }
  return proxy_until_signal(cluster, o.settings, o.proxy_port);
}

int run_proxy(DeployOptions& o) {
  kube::ClusterAccess cluster = cluster_of(o);
  kube::Credentials credentials(cluster);
  kube::ApiClient client(cluster, credentials);
  o.settings.token = deployed_token(client, o.settings.namespace_);
  if (o.settings.token.empty())
    throw std::runtime_error("trawl is not deployed in namespace " + o.settings.namespace_ +
                             " (no " + o.settings.namespace_ + "-token secret): run trawl tap");
  block_stop_signals();
  return proxy_until_signal(cluster, o.settings, o.proxy_port);
}

int run_clean(DeployOptions& o) {
  kube::ClusterAccess cluster = cluster_of(o);
  kube::Credentials credentials(cluster);
  kube::ApiClient client(cluster, credentials);
  auto done = kube::clean(client, o.settings.namespace_);
  for (const std::string& line : done) std::cerr << "trawl clean: " << line << "\n";
  if (done.empty()) std::cerr << "trawl clean: nothing of trawl's found\n";
  return 0;
}

// A subcommand whose callback runs `run` and reports what it throws.
CLI::App* command(CLI::App& app, const char* name, const char* help,
                  std::shared_ptr<DeployOptions> o, int (*run)(DeployOptions&), int& exit_code) {
  CLI::App* c = app.add_subcommand(name, help);
  c->callback([o, run, name, &exit_code] {
    try {
      exit_code = run(*o);
    } catch (const std::exception& e) {
      std::cerr << "trawl " << name << ": " << e.what() << "\n";
      exit_code = 1;
    }
  });
  return c;
}

}  // namespace

void add_deploy_commands(CLI::App& app, int& exit_code) {
  auto tap_options = std::make_shared<DeployOptions>();
  CLI::App* tap = command(app, "tap",
                          "Deploy trawl to the cluster (a worker per node, a hub), wait, and "
                          "serve the dashboard here",
                          tap_options, run_tap, exit_code);
  add_deploy_options(*tap, *tap_options);
  add_cluster_options(*tap, *tap_options);
  add_proxy_port(*tap, *tap_options);
  tap->add_flag("--dry-run", tap_options->dry_run, "print what would be applied, apply nothing");
  tap->add_option("--timeout", tap_options->timeout_s, "seconds to wait for the rollout")
      ->capture_default_str();
  auto proxy_options = std::make_shared<DeployOptions>();
  CLI::App* proxy = command(app, "proxy", "Serve the dashboard of a deployed trawl here",
                            proxy_options, run_proxy, exit_code);
  proxy->add_option("--trawl-namespace", proxy_options->settings.namespace_)->capture_default_str();
  proxy->add_option("--hub-port", proxy_options->settings.hub_port)->capture_default_str();
  add_cluster_options(*proxy, *proxy_options);
  add_proxy_port(*proxy, *proxy_options);
  auto clean_options = std::make_shared<DeployOptions>();
  CLI::App* clean = command(app, "clean", "Delete everything trawl tap made (by its label)",
                            clean_options, run_clean, exit_code);
  clean->add_option("--trawl-namespace", clean_options->settings.namespace_)->capture_default_str();
  add_cluster_options(*clean, *clean_options);
  auto options = std::make_shared<DeployOptions>();
  CLI::App* manifests =
      app.add_subcommand("manifests", "Print the Kubernetes objects `trawl tap` applies (YAML)");
  add_deploy_options(*manifests, *options);
  manifests->callback([options, &exit_code] {
    try {
      finish(*options);
      std::cout << kube::manifests_yaml(options->settings);
    } catch (const std::exception& e) {
      std::cerr << "trawl manifests: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace trawl
