#include "kube/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace trawl::kube {
namespace {

std::string error_of(std::string_view json) {
  try {
    parse_exec_credential(json);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(KubeCredentials, ExecCredentialTokenOrCertificateWithExpiry) {
  Credential c = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"token":"abc","expirationTimestamp":"2026-01-01T00:00:10Z"}})");
  EXPECT_EQ(c.token, "abc");
  EXPECT_EQ(c.expires_us, int64_t(1767225610) * 1000000);
  c = parse_exec_credential(
      R"({"kind":"ExecCredential","status":{"clientCertificateData":"C","clientKeyData":"K"}})");
  EXPECT_EQ(c.cert_pem, "C");
  EXPECT_EQ(c.key_pem, "K");
  EXPECT_EQ(c.expires_us, 0);
}

TEST(KubeCredentials, ABadExecCredentialSaysWhy) {
  EXPECT_EQ(error_of("nope"), "its output is not JSON");
  EXPECT_EQ(error_of(R"({"kind":"Pod"})"), "its output is not an ExecCredential");
  EXPECT_EQ(error_of(R"({"kind":"ExecCredential"})"), "its ExecCredential has no status");
  EXPECT_EQ(error_of(R"({"kind":"ExecCredential","status":{}})"),
            "its ExecCredential has neither a token nor a certificate and key");
  EXPECT_EQ(
      error_of(R"({"kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"x"}})"),
      "its expirationTimestamp is not RFC 3339");
}

struct Dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("trawl-cred-" + std::to_string(::getpid()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

TEST(KubeCredentials, APluginRunsWithExecInfoUntilRefused) {
  Dir d;
  std::string log = (d.path / "runs").string();
  std::string plugin = d.file(
      "plugin.sh", "#!/bin/sh\necho \"$KUBERNETES_EXEC_INFO $EXTRA\" >> " + log +
                       "\necho '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok\"}}'\n");
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  ClusterAccess a;
  a.exec = ExecPlugin{"client.authentication.k8s.io/v1beta1", plugin, {}, {{"EXTRA", "x1"}}};
  Credentials creds(a);
  EXPECT_EQ(creds.current().token, "tok");
  EXPECT_EQ(creds.current().token, "tok");
  EXPECT_EQ(creds.plugin_runs(), 1u);  // kept while it has not expired or been refused
  creds.refused();
  EXPECT_EQ(creds.current().token, "tok");
  EXPECT_EQ(creds.plugin_runs(), 2u);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("\"apiVersion\":\"client.authentication.k8s.io/v1beta1\""),
            std::string::npos);
  EXPECT_NE(line.find("\"kind\":\"ExecCredential\""), std::string::npos);
  EXPECT_TRUE(line.ends_with(" x1"));
}

TEST(KubeCredentials, AFailingPluginIsNamedWithItsStderr) {
  Dir d;
  std::string plugin = d.file("fail.sh", "#!/bin/sh\necho 'login first' >&2\nexit 3\n");
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  ExecPlugin p{"", plugin, {}, {}};
  try {
    run_exec_plugin(p, std::chrono::seconds(5));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "exec plugin " + plugin + " failed (status 3): login first");
  }
  std::string slow = d.file("slow.sh", "#!/bin/sh\nsleep 10\n");
  std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
  EXPECT_THROW(run_exec_plugin({"", slow, {}, {}}, std::chrono::milliseconds(200)),
               std::runtime_error);
  EXPECT_THROW(run_exec_plugin({"", "/nonexistent/plugin", {}, {}}, std::chrono::seconds(1)),
               std::runtime_error);
}

TEST(KubeCredentials, ATokenFileIsReadAgainWhenItChanges) {
  Dir d;
  ClusterAccess a;
  a.token_file = d.file("token", "one\n");
  Credentials creds(a);
  EXPECT_EQ(creds.current().token, "one");
  std::filesystem::last_write_time(
      a.token_file, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  d.file("token", "two\n");
  EXPECT_EQ(creds.current().token, "two");
}

}  // namespace
}  // namespace trawl::kube
