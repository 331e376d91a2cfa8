#include "kube/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kube/objects.h"

extern char** environ;

namespace trawl::kube {

namespace {

constexpr size_t kMaxPluginOutput = 1 << 20;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string trim_token(std::string t) {
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

// The plugin's output and its stderr's end, read until both close or the deadline.
struct PluginOutput {
  std::string out, err;
  bool timed_out = false;
};

PluginOutput read_plugin(int out_fd, int err_fd, std::chrono::milliseconds timeout) {
  PluginOutput r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return r.timed_out = true, r;
    if (poll(fds, 2, int(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1, --open;
      } else if (sinks[i]->size() < kMaxPluginOutput) {
        sinks[i]->append(buf, size_t(n));
      }
    }
  }
  return r;
}

std::vector<std::string> plugin_environment(const ExecPlugin& p) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& [k, v] : p.env) env.push_back(k + "=" + v);
  std::string version = p.api_version.empty() ? "client.authentication.k8s.io/v1" : p.api_version;
  env.push_back("KUBERNETES_EXEC_INFO={\"apiVersion\":\"" + version +
                "\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}");
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (std::string& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Credential parse_exec_credential(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e) || !e.is_object())
    throw std::runtime_error("its output is not JSON");
  std::string_view kind;
  if (e["kind"].get_string().get(kind) || kind != "ExecCredential")
    throw std::runtime_error("its output is not an ExecCredential");
  simdjson::dom::element status;
  if (e["status"].get(status) || !status.is_object())
    throw std::runtime_error("its ExecCredential has no status");
  auto text = [&](const char* key) {
    std::string_view v;
    return status[key].get_string().get(v) ? std::string() : std::string(v);
  };
  Credential c{text("token"), text("clientCertificateData"), text("clientKeyData"), 0};
  if (std::string expiry = text("expirationTimestamp"); !expiry.empty()) {
    c.expires_us = parse_rfc3339_us(expiry);
    if (!c.expires_us) throw std::runtime_error("its expirationTimestamp is not RFC 3339");
  }
  if (c.token.empty() && (c.cert_pem.empty() || c.key_pem.empty()))
    throw std::runtime_error("its ExecCredential has neither a token nor a certificate and key");
  if (c.cert_pem.empty() != c.key_pem.empty())
    throw std::runtime_error("its ExecCredential has a certificate without its key or a key alone");
  return c;
}

Credential run_exec_plugin(const ExecPlugin& p, std::chrono::milliseconds timeout) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("exec plugin: no pipe");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]), close(out[1]);
    throw std::runtime_error("exec plugin: no pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> args{p.command};
  args.insert(args.end(), p.args.begin(), p.args.end());
  std::vector<std::string> env = plugin_environment(p);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, p.command.c_str(), &actions, nullptr, pointers(args).data(),
                        pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]), close(err[1]);
  if (rc != 0) {
    close(out[0]), close(err[0]);
    throw std::runtime_error("exec plugin " + p.command + ": cannot run: " + strerror(rc));
  }
  PluginOutput r = read_plugin(out[0], err[0], timeout);
  close(out[0]), close(err[0]);
  if (r.timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  std::string tail = r.err.size() > 300 ? r.err.substr(r.err.size() - 300) : r.err;
  if (r.timed_out) throw std::runtime_error("exec plugin " + p.command + ": timed out");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("exec plugin " + p.command + " failed (status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                             "): " + trim_token(tail));
  try {
    return parse_exec_credential(r.out);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("exec plugin " + p.command + ": " + e.what());
  }
}

Credential Credentials::current() {
  std::lock_guard lock(mutex_);
  if (access_.exec) {
    // A credential about to expire is renewed a little early: a request
    // should not carry one that lapses on the way.
    if (!have_plugin_ || (plugin_.expires_us && plugin_.expires_us < now_us() + 10'000'000)) {
      ++plugin_runs_;
      plugin_ = run_exec_plugin(*access_.exec, std::chrono::seconds(30));
      have_plugin_ = true;
    }
    Credential c = plugin_;
    if (c.cert_pem.empty())
      c.cert_pem = access_.client_cert_pem, c.key_pem = access_.client_key_pem;
    return c;
  }
  Credential c{access_.token, access_.client_cert_pem, access_.client_key_pem, 0};
  if (!access_.token_file.empty()) {
    struct stat st;
    if (stat(access_.token_file.c_str(), &st) == 0 &&
        (!file_read_ || st.st_mtim.tv_sec != file_mtime_.tv_sec ||
         st.st_mtim.tv_nsec != file_mtime_.tv_nsec)) {
      file_token_ = trim_token(read_small_file(access_.token_file));
      file_mtime_ = st.st_mtim;
      file_read_ = true;
    }
    if (!file_read_) throw std::runtime_error(access_.token_file + ": cannot be read");
    c.token = file_token_;
  }
  return c;
}

void Credentials::refused() {
  std::lock_guard lock(mutex_);
  have_plugin_ = false;
  file_read_ = false;  // read again even when its time did not change
}

uint64_t Credentials::plugin_runs() const {
  std::lock_guard lock(mutex_);
  return plugin_runs_;
}

}  // namespace trawl::kube
