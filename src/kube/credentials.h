// What a request to the API server presents: a bearer token (given, read from
// a file that rotates, or from an exec credential plugin) and maybe a client
// certificate (the kubeconfig's, or the plugin's).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"

namespace trawl::kube {

struct Credential {
  std::string token;
  std::string cert_pem, key_pem;
  int64_t expires_us = 0;  // 0: until refused
};

// A plugin's stdout, an ExecCredential (client.authentication.k8s.io v1 or
// v1beta1): its status's token or client certificate and key, and expiry.
// Throws std::runtime_error saying what is wrong with it.
Credential parse_exec_credential(std::string_view json);

// Runs the plugin as kubectl does (its args and env, KUBERNETES_EXEC_INFO
// set, stdin closed) and reads its ExecCredential. Throws with the plugin's
// exit status and the end of its stderr when it fails or takes over `timeout`.
Credential run_exec_plugin(const ExecPlugin& plugin, std::chrono::milliseconds timeout);

class Credentials {
 public:
  explicit Credentials(const ClusterAccess& access) : access_(access) {}
  // What to present now: the token file read again when it changed, the
  // plugin run again when its credential expired or was refused. Throws when
  // neither can be had.
  Credential current();
  // The server refused what was presented (401): the next current() gets a fresh one.
  void refused();
  // Plugin runs, for stats and tests.
  uint64_t plugin_runs() const;

 private:
  const ClusterAccess& access_;
  mutable std::mutex mutex_;
  Credential plugin_;  // the plugin's last credential
  bool have_plugin_ = false;
  uint64_t plugin_runs_ = 0;
  std::string file_token_;
  timespec file_mtime_{};
  bool file_read_ = false;
};

}  // namespace trawl::kube
