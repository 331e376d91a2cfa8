// How to reach and authenticate to a Kubernetes API server: from a kubeconfig
// (YAML or JSON, the context named or the current one) or from inside a pod
// (the service account's files and KUBERNETES_SERVICE_HOST/PORT).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trawl::kube {

// A credential plugin (client.authentication.k8s.io ExecCredential): run, it
// prints a token or a client certificate and key, maybe with an expiry.
struct ExecPlugin {
  std::string api_version, command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

struct ClusterAccess {
  std::string context, namespace_;  // namespace_: the context's, else "default"
  std::string cluster;              // the context's cluster's name in the kubeconfig
  std::string server;               // https://host:port[/path]
  std::string tls_server_name;      // when not the server's host
  std::string ca_pem;               // empty: the system's CAs
  bool insecure_skip_tls_verify = false;
  std::string token;
  std::string token_file;  // read again when it changes (a service account's token rotates)
  std::string client_cert_pem, client_key_pem;
  std::optional<ExecPlugin> exec;
};

// Throws std::runtime_error naming what is missing or malformed. Files the
// config names (relative to its own directory) are read now, except the token
// file; data fields (`certificate-authority-data`, ...) are base64.
ClusterAccess parse_kubeconfig(std::string_view text, const std::string& dir,
                               const std::string& context);
ClusterAccess load_kubeconfig(const std::string& path, const std::string& context);

// Inside a pod: the service account's token, CA and namespace under `root`.
ClusterAccess in_cluster_access(
    const std::string& root = "/var/run/secrets/kubernetes.io/serviceaccount");

// A small regular file's bytes (at most 1 MiB); throws std::runtime_error.
std::string read_small_file(const std::string& path);

}  // namespace trawl::kube
