#include <iostream>

#include "cli/commands.h"
#include "kube/manifests.h"
#include "query/kfl.h"

namespace trawl {

namespace {

struct DeployOptions {
  kube::DeploySettings settings;
  std::string image = "trawl:latest";
  bool all_namespaces = false;
};

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
  if (!kfl::Query::compile(kube::keep_expression(s),
                           error))  // a bad regex fails here, not on nodes
    throw std::invalid_argument("the pod regex or a namespace: " + error.text());
  if (s.token.empty()) s.token = kube::generate_token();
}

}  // namespace

void add_deploy_commands(CLI::App& app, int& exit_code) {
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
