#include "kube/manifests.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "kube/yaml_text.h"

namespace trawl::kube {

namespace {

using O = Json::Object;
using A = Json::Array;

std::string worker_name(const DeploySettings& s) {
  return s.namespace_ + "-worker";
}
std::string hub_name(const DeploySettings& s) {
  return s.namespace_ + "-hub";
}
std::string token_secret(const DeploySettings& s) {
  return s.namespace_ + "-token";
}

Json labels(const std::string& component) {
  O l{{"app.kubernetes.io/name", "trawl"}, {kManagedByLabel, kManagedByValue}};
  if (!component.empty()) l.emplace_back("app.kubernetes.io/component", component);
  return l;
}

Json selector_labels(const std::string& component) {
  return O{{"app.kubernetes.io/name", "trawl"}, {"app.kubernetes.io/component", component}};
}

Json metadata(const std::string& name, const std::string& ns, const std::string& component) {
  O m{{"name", name}};
  if (!ns.empty()) m.emplace_back("namespace", ns);
  m.emplace_back("labels", labels(component));
  return m;
}

Json object(const char* api_version, const char* kind, Json meta, O rest = {}) {
  O o{{"apiVersion", api_version}, {"kind", kind}, {"metadata", std::move(meta)}};
  for (auto& field : rest) o.push_back(std::move(field));
  return o;
}

// KFL string literal: backslashes and quotes escaped.
std::string kfl_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

Json resources(const Resources& r) {
  return O{{"requests", O{{"cpu", r.cpu_request}, {"memory", r.memory_request}}},
           {"limits", O{{"cpu", r.cpu_limit}, {"memory", r.memory_limit}}}};
}

Json probe(const std::string& port_name, int period) {
  return O{{"httpGet", O{{"path", "/healthz"}, {"port", port_name}}},
           {"periodSeconds", period},
           {"timeoutSeconds", 3},
           {"failureThreshold", 3}};
}

Json env(const DeploySettings& s, bool with_node) {
  A e;
  if (with_node)
    e.push_back(O{{"name", "NODE_NAME"},
                  {"valueFrom", O{{"fieldRef", O{{"fieldPath", "spec.nodeName"}}}}}});
  e.push_back(
      O{{"name", "TRAWL_TOKEN"},
        {"valueFrom", O{{"secretKeyRef", O{{"name", token_secret(s)}, {"key", "token"}}}}}});
  return e;
}

Json volume_mounts() {
  return A{O{{"name", "data"}, {"mountPath", "/data"}}, O{{"name", "tmp"}, {"mountPath", "/tmp"}}};
}

Json volumes(unsigned data_mib) {
  return A{O{{"name", "data"}, {"emptyDir", O{{"sizeLimit", std::to_string(data_mib) + "Mi"}}}},
           O{{"name", "tmp"}, {"emptyDir", O{{"sizeLimit", "64Mi"}}}}};
}

Json node_selector(const DeploySettings& s) {
  O n;
  for (const auto& [k, v] : s.node_selector) n.emplace_back(k, v);
  return n;
}

Json image(const DeploySettings& s) {
  return s.image_repository + ":" + s.image_tag;
}

A worker_args(const DeploySettings& s) {
  A a{"capture",
      "--data-dir",
      "/data",
      "--address",
      "0.0.0.0",
      "--port",
      std::to_string(s.worker_port),
      "--node-name",
      "$(NODE_NAME)",
      "--store-mb",
      std::to_string(s.store_mb),
      "--packet-mb",
      std::to_string(s.packet_mb),
      "--max-age-hours",
      std::to_string(s.retention_hours)};
  a.insert(a.end(), {"--names-from", "http://" + hub_name(s) + "." + s.namespace_ +
                                         ".svc:" + std::to_string(s.hub_port)});
  if (!s.cluster_name.empty()) a.insert(a.end(), {"--cluster-name", s.cluster_name});
  if (std::string keep = keep_expression(s); !keep.empty()) a.insert(a.end(), {"--keep", keep});
  return a;
}

// Only what capture needs, each justified in docs/deploy.md; never privileged.
Json worker_security() {
  return O{{"privileged", false},
           {"allowPrivilegeEscalation", false},
           {"readOnlyRootFilesystem", true},
           {"runAsUser", 0},
           {"capabilities",
            O{{"drop", A{"ALL"}},
              {"add", A{"NET_RAW", "NET_ADMIN", "BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"}}}}};
}

Json hub_security() {
  return O{{"privileged", false},
           {"allowPrivilegeEscalation", false},
           {"readOnlyRootFilesystem", true},
           {"runAsNonRoot", true},
           {"runAsUser", 65532},
           {"runAsGroup", 65532},
           {"capabilities", O{{"drop", A{"ALL"}}}},
           {"seccompProfile", O{{"type", "RuntimeDefault"}}}};
}

Json container(const DeploySettings& s, const char* name, A args, int port, Json security,
               const Resources& r, bool worker) {
  return O{{"name", name},
           {"image", image(s)},
           {"imagePullPolicy", s.image_pull_policy},
           {"args", std::move(args)},
           {"env", env(s, worker)},
           {"ports", A{O{{"name", "http"}, {"containerPort", port}, {"protocol", "TCP"}}}},
           {"readinessProbe", probe("http", 5)},
           {"livenessProbe", probe("http", 10)},
           {"resources", resources(r)},
           {"securityContext", std::move(security)},
           {"volumeMounts", volume_mounts()}};
}

Json worker_daemonset(const DeploySettings& s) {
  Json pod = O{{"serviceAccountName", worker_name(s)},
               {"automountServiceAccountToken", false},  // workers never call the API
               {"hostNetwork", true},
               {"hostPID", true},
               {"dnsPolicy", "ClusterFirstWithHostNet"},
               {"terminationGracePeriodSeconds", 10},
               {"nodeSelector", node_selector(s)},
               {"tolerations", s.worker_tolerations},
               {"containers", A{container(s, "worker", worker_args(s), s.worker_port,
                                          worker_security(), s.worker_resources, true)}},
               {"volumes", volumes(s.store_mb + s.packet_mb + 256)}};
  return object("apps/v1", "DaemonSet", metadata(worker_name(s), s.namespace_, "worker"),
                {{"spec", O{{"selector", O{{"matchLabels", selector_labels("worker")}}},
                            {"updateStrategy", O{{"type", "RollingUpdate"}}},
                            {"template", O{{"metadata", O{{"labels", labels("worker")}}},
                                           {"spec", std::move(pod)}}}}}});
}

A hub_args(const DeploySettings& s) {
  A a{"hub",
      "--data-dir",
      "/data",
      "--address",
      "0.0.0.0",
      "--port",
      std::to_string(s.hub_port),
      "--ui-dir",
      "/usr/share/trawl/ui",
      "--worker-namespace",
      s.namespace_,
      "--worker-port",
      std::to_string(s.worker_port)};
  if (!s.cluster_name.empty()) a.insert(a.end(), {"--cluster-name", s.cluster_name});
  return a;
}

Json hub_deployment(const DeploySettings& s) {
  Json pod =
      O{{"serviceAccountName", hub_name(s)},
        {"nodeSelector", node_selector(s)},
        {"containers",
         A{container(s, "hub", hub_args(s), s.hub_port, hub_security(), s.hub_resources, false)}},
        {"volumes", volumes(256)}};
  return object(
      "apps/v1", "Deployment", metadata(hub_name(s), s.namespace_, "hub"),
      {{"spec",
        O{{"replicas", 1},
          {"selector", O{{"matchLabels", selector_labels("hub")}}},
          {"template", O{{"metadata", O{{"labels", labels("hub")}}}, {"spec", std::move(pod)}}}}}});
}

Json hub_service(const DeploySettings& s) {
  return object("v1", "Service", metadata(hub_name(s), s.namespace_, "hub"),
                {{"spec", O{{"type", s.hub_service_type},
                            {"selector", selector_labels("hub")},
                            {"ports", A{O{{"name", "http"},
                                          {"port", s.hub_port},
                                          {"targetPort", "http"},
                                          {"protocol", "TCP"}}}}}}});
}

// What identity reads, and nothing more: read-only, no secrets, no writes.
Json hub_cluster_role(const DeploySettings& s) {
  A verbs{"get", "list", "watch"};
  auto rule = [&](const char* group, A resources) {
    return O{{"apiGroups", A{group}}, {"resources", std::move(resources)}, {"verbs", verbs}};
  };
  return object("rbac.authorization.k8s.io/v1", "ClusterRole", metadata(hub_name(s), "", "hub"),
                {{"rules", A{rule("", A{"pods", "services", "nodes", "namespaces"}),
                             rule("discovery.k8s.io", A{"endpointslices"}),
                             rule("apps", A{"replicasets"}), rule("batch", A{"jobs"})}}});
}

Json hub_binding(const DeploySettings& s) {
  return object(
      "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", metadata(hub_name(s), "", "hub"),
      {{"roleRef", O{{"apiGroup", "rbac.authorization.k8s.io"},
                     {"kind", "ClusterRole"},
                     {"name", hub_name(s)}}},
       {"subjects",
        A{O{{"kind", "ServiceAccount"}, {"name", hub_name(s)}, {"namespace", s.namespace_}}}}});
}

Json service_account(const std::string& name, const DeploySettings& s, const char* component,
                     bool mount_token) {
  return object("v1", "ServiceAccount", metadata(name, s.namespace_, component),
                {{"automountServiceAccountToken", mount_token}});
}

}  // namespace

Json DeploySettings::default_tolerations() {
  return A{O{{"operator", "Exists"}}};
}

std::string keep_expression(const DeploySettings& s) {
  std::string in_namespaces;
  for (const std::string& ns : s.namespaces)
    in_namespaces += (in_namespaces.empty() ? "" : " or ") + std::string("src.namespace == ") +
                     kfl_string(ns) + " or dst.namespace == " + kfl_string(ns);
  std::string named;
  if (!s.pod_regex.empty())
    named = "src.name.matches(" + kfl_string(s.pod_regex) + ") or dst.name.matches(" +
            kfl_string(s.pod_regex) + ")";
  if (!in_namespaces.empty() && !named.empty())
    return "(" + in_namespaces + ") and (" + named + ")";
  return in_namespaces.empty() ? named : in_namespaces;
}

std::string generate_token() {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string token;
  while (token.size() < 32) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
      throw std::runtime_error("no random bytes for a token");
    for (unsigned char b : bytes)  // 248 = 4 x 62: no letter more likely than another
      if (b < 248 && token.size() < 32) token += kAlphabet[b % kAlphabet.size()];
  }
  return token;
}

std::vector<Json> manifests(const DeploySettings& s) {
  std::vector<Json> out;
  if (s.create_namespace) out.push_back(object("v1", "Namespace", metadata(s.namespace_, "", "")));
  out.push_back(service_account(worker_name(s), s, "worker", false));
  out.push_back(service_account(hub_name(s), s, "hub", true));
  out.push_back(object("v1", "Secret", metadata(token_secret(s), s.namespace_, ""),
                       {{"type", "Opaque"}, {"stringData", O{{"token", s.token}}}}));
  out.push_back(hub_cluster_role(s));
  out.push_back(hub_binding(s));
  out.push_back(hub_service(s));
  out.push_back(hub_deployment(s));
  out.push_back(worker_daemonset(s));
  return out;
}

std::string manifests_yaml(const DeploySettings& s) {
  std::string out;
  for (const Json& m : manifests(s)) out += "---\n" + yaml_text(m);
  return out;
}

}  // namespace trawl::kube
