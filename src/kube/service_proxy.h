// The dashboard of a service in the cluster on this machine: a local HTTP
// server whose every request (a WebSocket too) goes through the Kubernetes API
// server's service proxy (/api/v1/namespaces/NS/services/NAME:PORT/proxy/...),
// as `kubectl proxy` would, with the cluster's credentials. The service's own
// token rides in X-Trawl-Token (Authorization is the cluster's). It listens on
// loopback and answers only requests for localhost from its own pages (the
// Host and Origin checks a worker makes), each on a connection of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"

namespace trawl::kube {

struct ServiceProxySettings {
  std::string address = "127.0.0.1";
  uint16_t port = 8899;       // 0: any free port (tests)
  std::string service_path;   // /api/v1/namespaces/trawl/services/trawl-hub:8899/proxy
  std::string service_token;  // sent as X-Trawl-Token
  std::chrono::milliseconds idle{std::chrono::minutes(5)};
};

class ServiceProxy {
 public:
  // Binds; throws std::runtime_error saying why it cannot.
  ServiceProxy(const ClusterAccess& access, ServiceProxySettings settings);
  ~ServiceProxy();
  // Serves until stop(), a thread per connection.
  void run();
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace trawl::kube
