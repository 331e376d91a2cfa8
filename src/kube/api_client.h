// HTTPS requests to a Kubernetes API server (Boost.Beast over OpenSSL): whole
// answers for lists, and streamed bodies for watches, each with a deadline,
// and stoppable from another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"

namespace trawl::kube {

// The request could not be made or was cut short (connect, TLS, a timeout).
struct TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// stop() was called.
struct Stopped : std::runtime_error {
  Stopped() : std::runtime_error("stopped") {}
};

class ApiClient {
 public:
  // `access` and `credentials` must outlive the client.
  ApiClient(const ClusterAccess& access, Credentials& credentials);
  ~ApiClient();

  // GET `target` (a path and query under the server's URL): the status and
  // body, at most `max_body` bytes. Throws TransportError or Stopped.
  std::pair<int, std::string> get(const std::string& target, std::chrono::milliseconds timeout,
                                  size_t max_body = 64u << 20);
  // `method` (PATCH, DELETE, POST, PUT) `target` with `body` of `content_type`
  // (none when empty): the status and the answer's body. Throws as get() does.
  std::pair<int, std::string> call(std::string_view method, const std::string& target,
                                   const std::string& body, const std::string& content_type,
                                   std::chrono::milliseconds timeout);
  // GET `target` and hand its body to `on_bytes` as it arrives, until the
  // server ends it, `on_bytes` returns false, or nothing comes for `idle`
  // (TransportError). Returns the status; the body of any other than 200 is
  // in `error_body` instead.
  int stream(const std::string& target, std::chrono::milliseconds idle,
             const std::function<bool(std::string_view)>& on_bytes, std::string& error_body);
  // Sends `request` (an HTTP/1.1 request's head and body, whose first line is
  // followed by the Host and Authorization this client adds) and relays bytes
  // both ways between the API server and the connected socket `local_fd` until
  // either closes or neither sends for `idle`: a request through the API
  // server's proxy, a WebSocket included. Throws TransportError or Stopped.
  void relay(const std::string& request, int local_fd, std::chrono::milliseconds idle);
  // From any thread: the request in progress and every later one throw Stopped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::kube
