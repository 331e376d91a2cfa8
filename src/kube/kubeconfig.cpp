#include "kube/kubeconfig.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace trawl::kube {

namespace {

constexpr size_t kMaxConfig = 1 << 20;

[[noreturn]] void fail(const std::string& why) {
  throw std::runtime_error(why);
}

// yaml-cpp recurses once per level of nesting: a config nested deeper than any
// real one is refused before it is parsed (flow brackets, and block indentation).
void check_nesting(std::string_view text) {
  if (text.size() > kMaxConfig) fail("larger than 1 MiB");
  int depth = 0;
  size_t indent = 0;
  bool line_start = true;
  for (char c : text) {
    if (c == '[' || c == '{') depth++;
    if (c == ']' || c == '}') depth--;
    if (depth > 64) fail("nested more than 64 levels deep");
    if (c == '\n') {
      line_start = true, indent = 0;
    } else if (line_start && (c == ' ' || c == '-')) {
      if (++indent > 256) fail("indented more than 256 columns");
    } else {
      line_start = false;
    }
  }
}

std::string scalar(const YAML::Node& n, const char* key) {
  YAML::Node v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

std::string base64_decode(std::string text, const std::string& field) {
  std::erase_if(text, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  if (text.size() % 4) fail(field + " is not base64");
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
  if (n < 0) fail(field + " is not base64");
  size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(size_t(n) - padding);
  return out;
}

// The entry of `list` (clusters, users, contexts) called `name`, as its `inner` map.
YAML::Node named(const YAML::Node& root, const char* list, const std::string& name,
                 const char* inner) {
  YAML::Node items = root[list];
  if (items && items.IsSequence())
    for (const YAML::Node& item : items)
      if (item.IsMap() && scalar(item, "name") == name) {
        YAML::Node v = item[inner];
        return v && v.IsMap() ? v : YAML::Node(YAML::NodeType::Map);
      }
  fail(std::string("no ") + inner + " \"" + name + "\" in " + list);
}

// A file's contents, or base64 data, whichever the config gives.
std::string file_or_data(const YAML::Node& n, const char* file_key, const std::string& dir) {
  std::string data = scalar(n, (std::string(file_key) + "-data").c_str());
  if (!data.empty()) return base64_decode(data, std::string(file_key) + "-data");
  std::string path = scalar(n, file_key);
  if (path.empty()) return {};
  return read_small_file(path.front() == '/' || dir.empty() ? path : dir + "/" + path);
}

ExecPlugin exec_plugin(const YAML::Node& e) {
  ExecPlugin p{scalar(e, "apiVersion"), scalar(e, "command"), {}, {}};
  if (p.command.empty()) fail("an exec credential plugin without a command");
  if (YAML::Node args = e["args"]; args && args.IsSequence())
    for (const YAML::Node& a : args)
      if (a.IsScalar()) p.args.push_back(a.as<std::string>());
  if (YAML::Node env = e["env"]; env && env.IsSequence())
    for (const YAML::Node& v : env)
      if (v.IsMap()) p.env.emplace_back(scalar(v, "name"), scalar(v, "value"));
  return p;
}

void read_user(const YAML::Node& user, const std::string& dir, ClusterAccess& a) {
  a.token = scalar(user, "token");
  a.token_file = scalar(user, "tokenFile");
  if (!a.token_file.empty() && a.token_file.front() != '/' && !dir.empty())
    a.token_file = dir + "/" + a.token_file;
  a.client_cert_pem = file_or_data(user, "client-certificate", dir);
  a.client_key_pem = file_or_data(user, "client-key", dir);
  if (a.client_cert_pem.empty() != a.client_key_pem.empty())
    fail("a client certificate needs its key, and a key its certificate");
  if (YAML::Node e = user["exec"]; e && e.IsMap()) a.exec = exec_plugin(e);
}

ClusterAccess access_of(const YAML::Node& root, const std::string& dir, std::string context) {
  if (!root.IsMap()) fail("not a kubeconfig (a map of clusters, users and contexts)");
  if (context.empty()) context = scalar(root, "current-context");
  if (context.empty()) fail("no context named and no current-context");
  YAML::Node ctx = named(root, "contexts", context, "context");
  ClusterAccess a;
  a.context = context;
  a.namespace_ = scalar(ctx, "namespace");
  if (a.namespace_.empty()) a.namespace_ = "default";
  YAML::Node cluster = named(root, "clusters", scalar(ctx, "cluster"), "cluster");
  a.cluster = scalar(ctx, "cluster");
  a.server = scalar(cluster, "server");
  if (!a.server.starts_with("https://") && !a.server.starts_with("http://"))
    fail("cluster \"" + scalar(ctx, "cluster") + "\" has no http(s):// server");
  a.tls_server_name = scalar(cluster, "tls-server-name");
  a.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
  a.ca_pem = file_or_data(cluster, "certificate-authority", dir);
  if (std::string user = scalar(ctx, "user"); !user.empty())
    read_user(named(root, "users", user, "user"), dir, a);
  return a;
}

}  // namespace

std::string read_small_file(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) fail(path + ": cannot be read");
  if (!S_ISREG(st.st_mode)) fail(path + ": not a regular file");
  if (size_t(st.st_size) > kMaxConfig) fail(path + ": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot be read");
  // Read up to the limit whatever the size said (a file in /proc says 0).
  std::string out(kMaxConfig + 1, '\0');
  in.read(out.data(), std::streamsize(out.size()));
  out.resize(size_t(in.gcount()));
  if (out.size() > kMaxConfig) fail(path + ": larger than 1 MiB");
  return out;
}

ClusterAccess parse_kubeconfig(std::string_view text, const std::string& dir,
                               const std::string& context) {
  check_nesting(text);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail(std::string("not YAML: ") + e.what());
  }
  try {
    return access_of(root, dir, context);
  } catch (const YAML::Exception& e) {  // a value of an unexpected shape
    fail(std::string("malformed: ") + e.what());
  }
}

ClusterAccess load_kubeconfig(const std::string& path, const std::string& context) {
  std::string text = read_small_file(path);
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  try {
    return parse_kubeconfig(text, dir, context);
  } catch (const std::runtime_error& e) {
    fail(path + ": " + e.what());
  }
}

ClusterAccess in_cluster_access(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host) fail("not in a pod: KUBERNETES_SERVICE_HOST is not set");
  ClusterAccess a;
  a.context = "in-cluster";
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // an IPv6 address
  a.server = "https://" + h + ":" + (port && *port ? port : "443");
  a.token_file = root + "/token";
  read_small_file(a.token_file);  // there now, or this is no pod
  a.ca_pem = read_small_file(root + "/ca.crt");
  try {
    a.namespace_ = read_small_file(root + "/namespace");
  } catch (const std::runtime_error&) {
    a.namespace_ = "default";
  }
  return a;
}

}  // namespace trawl::kube
