#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace trawl::kube {
namespace {

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("trawl-kubeconfig-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

// As kubectl writes one: two clusters, three users, contexts for each.
constexpr std::string_view kConfig = R"(apiVersion: v1
kind: Config
current-context: admin@prod
preferences: {}
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: certs/ca.crt
- name: lab
  cluster:
    server: https://lab.example:443
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes.default
users:
- name: admin
  user:
    token: abc.def
- name: alice
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    client-key: alice.key
- name: cloud
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: gke-gcloud-auth-plugin
      args: ["--quiet", "--project=p"]
      env:
      - name: CLOUDSDK_CORE_PROJECT
        value: p
      interactiveMode: Never
contexts:
- name: admin@prod
  context: {cluster: prod, user: admin}
- name: alice@lab
  context:
    cluster: lab
    user: alice
    namespace: shop
- name: cloud@prod
  context: {cluster: prod, user: cloud}
)";

TEST(KubeConfig, TheCurrentContextWithATokenAndACaFile) {
  TempDir d;
  std::filesystem::create_directories(d.path / "certs");
  d.write("certs/ca.crt", "CA PEM");
  d.write("alice.key", "KEY PEM");
  d.write("config", std::string(kConfig));
  ClusterAccess a = load_kubeconfig((d.path / "config").string(), "");
  EXPECT_EQ(a.context, "admin@prod");
  EXPECT_EQ(a.server, "https://10.0.0.1:6443");
  EXPECT_EQ(a.ca_pem, "CA PEM");
  EXPECT_EQ(a.token, "abc.def");
  EXPECT_EQ(a.namespace_, "default");
  EXPECT_FALSE(a.insecure_skip_tls_verify);
  EXPECT_FALSE(a.exec);

  ClusterAccess b = load_kubeconfig((d.path / "config").string(), "alice@lab");
  EXPECT_EQ(b.namespace_, "shop");
  EXPECT_TRUE(b.insecure_skip_tls_verify);
  EXPECT_EQ(b.tls_server_name, "kubernetes.default");
  EXPECT_EQ(b.client_cert_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(b.client_key_pem, "KEY PEM");
  EXPECT_EQ(b.token, "");

  ClusterAccess c = load_kubeconfig((d.path / "config").string(), "cloud@prod");
  ASSERT_TRUE(c.exec);
  EXPECT_EQ(c.exec->api_version, "client.authentication.k8s.io/v1");
  EXPECT_EQ(c.exec->command, "gke-gcloud-auth-plugin");
  EXPECT_EQ(c.exec->args, (std::vector<std::string>{"--quiet", "--project=p"}));
  EXPECT_EQ(c.exec->env,
            (std::vector<std::pair<std::string, std::string>>{{"CLOUDSDK_CORE_PROJECT", "p"}}));
}

TEST(KubeConfig, JsonIsYamlToo) {
  ClusterAccess a = parse_kubeconfig(
      R"({"current-context":"x","contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],
          "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:1"}}],
          "users":[{"name":"u","user":{"tokenFile":"tok"}}]})",
      "/etc/k", "");
  EXPECT_EQ(a.token_file, "/etc/k/tok");
  EXPECT_EQ(a.ca_pem, "");
}

TEST(KubeConfig, WhatIsWrongIsSaid) {
  auto error_of = [](std::string_view text, const std::string& context = "") {
    try {
      parse_kubeconfig(text, "/nonexistent", context);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string config(kConfig);
  EXPECT_EQ(error_of(config, "nope"), "no context \"nope\" in contexts");
  EXPECT_EQ(error_of(config), "/nonexistent/certs/ca.crt: cannot be read");
  EXPECT_EQ(error_of("current-context: x\ncontexts: []\n"), "no context \"x\" in contexts");
  EXPECT_EQ(error_of("kind: Config\n"), "no context named and no current-context");
  EXPECT_EQ(error_of("[1, 2]"), "not a kubeconfig (a map of clusters, users and contexts)");
  EXPECT_TRUE(error_of("a: [b").starts_with("not YAML: yaml-cpp: error at line 1"))
      << error_of("a: [b");
  EXPECT_EQ(error_of(std::string(100, '[')), "nested more than 64 levels deep");
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += std::string(i, ' ') + "a:\n";
  EXPECT_EQ(error_of(deep), "indented more than 256 columns");
  std::string base =
      R"({"current-context":"x","contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],
      "clusters":[{"name":"c","cluster":{"server":"SERVER"}}],"users":[{"name":"u","user":{USER}}]})";
  auto with = [&](std::string server, std::string user) {
    std::string t = base;
    t.replace(t.find("SERVER"), 6, server);
    t.replace(t.find("USER"), 4, user);
    return t;
  };
  EXPECT_EQ(error_of(with("10.0.0.1:6443", "")), "cluster \"c\" has no http(s):// server");
  EXPECT_EQ(error_of(with("https://a", R"("client-certificate-data":"QUJD")")),
            "a client certificate needs its key, and a key its certificate");
  EXPECT_EQ(error_of(with("https://a", R"("client-key-data":"not base64!")")),
            "client-key-data is not base64");
  EXPECT_EQ(error_of(with("https://a", R"("exec":{"apiVersion":"v1"})")),
            "an exec credential plugin without a command");
  EXPECT_EQ(error_of(with("https://a",
                          R"("client-key":"/dev/zero","client-certificate":"/etc/hostname")")),
            "/dev/zero: not a regular file");
}

TEST(KubeConfig, InsideAPod) {
  TempDir d;
  d.write("token", "sa-token");
  d.write("ca.crt", "CLUSTER CA");
  d.write("namespace", "trawl");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  ClusterAccess a = in_cluster_access(d.path.string());
  EXPECT_EQ(a.server, "https://[fd00::1]:6443");
  EXPECT_EQ(a.token_file, (d.path / "token").string());
  EXPECT_EQ(a.ca_pem, "CLUSTER CA");
  EXPECT_EQ(a.namespace_, "trawl");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_THROW(in_cluster_access(d.path.string()), std::runtime_error);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

}  // namespace
}  // namespace trawl::kube
