// The objects `trawl tap` applies and `trawl manifests` prints: a worker per
// node (DaemonSet) that needs no Kubernetes API access, and a hub (Deployment
// and Service) that is the only client of the API. deploy/helm/trawl renders
// the same objects from its default values (tests/deploy checks it).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "entries/json.h"

namespace trawl::kube {

struct Resources {
  std::string cpu_request, memory_request, cpu_limit, memory_limit;
};

struct DeploySettings {
  std::string namespace_ = "trawl";
  bool create_namespace = true;
  std::string image_repository = "trawl", image_tag = "latest", image_pull_policy = "IfNotPresent";
  std::string cluster_name;  // cluster.name on the workers' entries; empty: none
  // Which pods' traffic the workers keep: names matching the regex (empty:
  // any), in these namespaces (empty: all).
  std::string pod_regex;
  std::vector<std::string> namespaces;
  std::string token;  // hub <-> workers; tap generates one when empty
  int worker_port = 8897, hub_port = 8899;
  Resources worker_resources{"100m", "256Mi", "2", "1Gi"};
  Resources hub_resources{"100m", "128Mi", "1", "512Mi"};
  unsigned store_mb = 1024, packet_mb = 256, retention_hours = 24;
  std::string hub_service_type = "ClusterIP";
  std::map<std::string, std::string> node_selector{{"kubernetes.io/os", "linux"}};
  Json worker_tolerations = default_tolerations();  // every node, tainted or not

  static Json default_tolerations();
};

// The label every object carries, by which `trawl clean` finds them.
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "trawl";

// The workers' --keep expression (KFL) for the pod regex and namespaces;
// empty when they keep everything.
std::string keep_expression(const DeploySettings& s);
// A token of 32 letters and digits from the system's random source.
std::string generate_token();
// The objects, in the order they are applied.
std::vector<Json> manifests(const DeploySettings& s);
// As YAML documents, each after a "---" line.
std::string manifests_yaml(const DeploySettings& s);

}  // namespace trawl::kube
