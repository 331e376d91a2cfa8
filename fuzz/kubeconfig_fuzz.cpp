// A kubeconfig file, YAML or JSON, as a user or a tool wrote it: the context
// it names resolved to a server and credentials, or a clear error. Files it
// names are looked up under a directory that does not exist. The same bytes
// as an exec credential plugin's output: a credential, or a clear error.
#include <stdexcept>
#include <string_view>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* context : {"", "alice@lab"}) {
    try {
      trawl::kube::ClusterAccess a = trawl::kube::parse_kubeconfig(text, "/nonexistent", context);
      if (a.server.empty() || a.context.empty()) __builtin_trap();  // success means usable
    } catch (const std::runtime_error&) {
      // a clear error
    }
  }
  try {
    trawl::kube::Credential c = trawl::kube::parse_exec_credential(text);
    if (c.token.empty() && c.cert_pem.empty()) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
