#include "api/routes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "api/store_replies.h"
#include "base/clock.h"
#include "pipeline/pipeline.h"
#include "query/kfl.h"

namespace trawl::api {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return false;
      out += char(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return true;
}

std::string json_text(const Json& j) {
  std::string out;
  j.write(out);
  return out;
}

}  // namespace

bool Target::parse(std::string_view target, Target& out) {
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  if (!url_decode(target.substr(0, q), out.path)) return false;
  out.params.clear();
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key, value;
    if (!url_decode(pair.substr(0, eq), key)) return false;
    if (eq != std::string_view::npos && !url_decode(pair.substr(eq + 1), value)) return false;
    if (!key.empty()) out.params[key] = value;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return true;
}

Reply error_reply(int status, std::string message) {
  Json o = Json::object();
  o.set("error", std::move(message));
  Reply r;
  r.status = status;
  r.body = json_text(o);
  return r;
}

namespace {

// Until the dashboard lands: what this worker serves, with links.
constexpr std::string_view kLandingPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>trawl</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:46em}code{background:#eee;padding:0 .3em}</style>
</head><body>
<h1>trawl worker</h1>
<p>This worker captures traffic, keeps entries and serves them. The dashboard was
not found next to the binary (<code>make ui</code> builds it); the API is:</p>
<ul>
<li><a href="/api/entries?limit=20">/api/entries</a>?q=KFL&amp;limit=&amp;before=&amp;after= (newest first)</li>
<li>/api/entries/{id}, /api/entries/{id}/pcap</li>
<li><a href="/api/validate?q=http">/api/validate</a>?q=KFL</li>
<li><a href="/api/names">/api/names</a>[?ip=]: Kubernetes names over time</li>
<li><a href="/api/stats">/api/stats</a>: capture, loss, store and protocol counters</li>
<li><a href="/metrics">/metrics</a>: Prometheus</li>
<li>WebSocket /api/stream: send a KFL query, receive matching entries live</li>
</ul>
<p>From a shell: <code>trawl query 'http and response.status >= 500'</code>,
<code>trawl tail redis</code>.</p>
</body></html>
)";

constexpr off_t kMaxUiFile = 32 << 20;

// A path of plain names: no "." or ".." segment, no empty one, no NUL.
bool plain_path(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos) return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view segment(path.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

// The contents of a regular file inside `dir` (symbolic links may not lead
// out of it); nothing for anything else: directories, devices, missing files.
std::optional<std::string> read_file_in(const std::string& dir, const std::string& path) {
  char* resolved = realpath((dir + path).c_str(), nullptr);
  char* root = realpath(dir.c_str(), nullptr);
  std::string file = resolved ? resolved : "", base = root ? root : "";
  free(resolved);
  free(root);
  if (file.empty() || base.empty() || !file.starts_with(base + "/")) return std::nullopt;
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= kMaxUiFile) {
    std::string data(size_t(st.st_size), '\0');
    size_t got = 0;
    while (got < data.size()) {
      ssize_t n = read(fd, data.data() + got, data.size() - got);
      if (n <= 0) break;
      got += size_t(n);
    }
    if (got == data.size()) out = std::move(data);
  }
  close(fd);
  return out;
}

// A file of the dashboard; nothing for paths that are not plain files in it.
std::optional<Reply> ui_file(const std::string& ui_dir, const std::string& path) {
  std::string file = path == "/" ? "/index.html" : path;
  if (ui_dir.empty() || !plain_path(file)) return std::nullopt;
  auto data = read_file_in(ui_dir, file);
  if (!data) return std::nullopt;
  Reply r;
  r.body = std::move(*data);
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript"},
      {".css", "text/css"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".map", "application/json"}};
  r.content_type = "application/octet-stream";
  for (const auto& [ext, type] : kTypes)
    if (file.ends_with(ext)) r.content_type = std::string(type);
  // Assets have content hashes in their names; the page itself is always fresh.
  r.headers["Cache-Control"] =
      file.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
  return r;
}

}  // namespace

std::string default_ui_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  // The build tree (build/trawl, ui/dist), or installed (/usr/bin, /usr/share/trawl/ui).
  auto prefix = exe.parent_path().parent_path();
  for (auto dir : {prefix / "ui" / "dist", prefix / "share" / "trawl" / "ui"})
    if (std::filesystem::exists(dir / "index.html", ec)) return dir.string();
  return "";
}

Json ApiCounters::to_json() const {
  Json o = Json::object();
#define TRAWL_API_COUNTER_JSON(member, key, metric, help) o.set(key, member.load());
  TRAWL_API_COUNTERS(TRAWL_API_COUNTER_JSON)
#undef TRAWL_API_COUNTER_JSON
  return o;
}

void ApiCounters::write_metrics(std::string& out) const {
  struct Metric {
    std::string_view name, help;
    uint64_t value;
  };
  std::vector<Metric> metrics;  // in the order first named
  auto add = [&metrics](std::string_view name, std::string_view help, uint64_t value) {
    if (name.empty()) return;
    for (Metric& m : metrics)
      if (m.name == name) {
        m.value += value;
        return;
      }
    metrics.push_back({name, help, value});
  };
#define TRAWL_API_COUNTER_METRIC(member, key, metric, help) add(metric, help, member.load());
  TRAWL_API_COUNTERS(TRAWL_API_COUNTER_METRIC)
#undef TRAWL_API_COUNTER_METRIC
  for (const Metric& m : metrics)
    out += "# HELP " + std::string(m.name) + " " + std::string(m.help) + "\n# TYPE " +
           std::string(m.name) + " counter\n" + std::string(m.name) + " " +
           std::to_string(m.value) + "\n";
}

Reply text_reply(std::string content_type, std::string body) {
  Reply r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

namespace {

// Entries the entry stages dropped before keeping them, by stage.
void stage_drops(const Json& stats, std::string& out) {
  out +=
      "# HELP trawl_entries_dropped_total Entries an entry stage (--keep, ...) dropped.\n"
      "# TYPE trawl_entries_dropped_total counter\n";
  const Json* entries = stats.find("entries");
  if (!entries || !entries->is_object()) return;
  constexpr std::string_view kPrefix = "dropped_by_";
  for (const auto& [key, n] : entries->fields())
    if (key.starts_with(kPrefix) && n.is_int())
      out += "trawl_entries_dropped_total{stage=\"" + key.substr(kPrefix.size()) + "\"} " +
             std::to_string(n.integer()) + "\n";
}

Reply metrics(Worker& worker, const ApiCounters* counters) {
  Reply r = text_reply("text/plain; version=0.0.4", "");
  worker.metrics().render(r.body);
  Json s = worker.stats();
  auto field = [&](std::string_view group, std::string_view key) -> int64_t {
    const Json* g = s.find(group);
    const Json* v = g ? g->find(key) : nullptr;
    return v && v->is_int() ? v->integer() : 0;
  };
  for (const CounterMetric& m : Worker::counter_metrics()) {
    std::string name(m.metric);
    const char* type = m.metric.ends_with("_total") ? "counter" : "gauge";
    r.body += "# HELP " + name + " " + std::string(m.help) + "\n# TYPE " + name + " " + type +
              "\n" + name + " " + std::to_string(field(m.section, m.key)) + "\n";
  }
  stage_drops(s, r.body);
  if (const kube::NamesKeeper* names = worker.names())
    names->render_metrics(r.body, wall_clock_us());
  if (counters) counters->write_metrics(r.body);
  return r;
}

Reply validate(const Target& t) {
  auto it = t.params.find("q");
  kfl::CompileError error;
  auto query = kfl::Query::compile(it == t.params.end() ? "" : it->second, error);
  if (query) return text_reply("application/json", R"({"valid":true})");
  Json o = Json::object();
  o.set("valid", false);
  o.set("error", error.text());
  o.set("line", error.line);
  o.set("column", error.column);
  return text_reply("application/json", json_text(o));
}

}  // namespace

Reply names_reply(kube::NamesKeeper* keeper, const Target& t) {
  if (!keeper) return error_reply(404, "no Kubernetes names: start with --kubeconfig or in a pod");
  if (auto ip = t.params.find("ip"); ip != t.params.end())
    return text_reply("application/json", json_text(keeper->timeline(ip->second)));
  if (t.path == "/api/names/changes") {
    auto since = t.params.find("since");
    auto c = keeper->changes_since(since == t.params.end() ? "" : since->second);
    Json o = Json::object();
    o.set("next", c.next);
    o.set("snapshot", c.snapshot);
    o.set("lines", std::move(c.lines));
    return text_reply("application/json", json_text(o));
  }
  std::string text;
  for (const std::string& path : keeper->history_files()) {
    std::ifstream in(path, std::ios::binary);
    text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() != '\n') text += '\n';  // a line cut by a crash ends here
  }
  return text_reply("application/x-ndjson", std::move(text));
}

namespace {

Routed answer(Reply r) {
  Routed out;
  out.reply = std::move(r);
  return out;
}

}  // namespace

std::optional<Reply> route_common(const Target& t, const std::string& ui_dir) {
  if (!t.path.starts_with("/api/") && t.path != "/healthz" && t.path != "/metrics") {
    if (auto file = ui_file(ui_dir, t.path)) return file;
    if (t.path == "/") return text_reply("text/html; charset=utf-8", std::string(kLandingPage));
  }
  if (t.path == "/healthz") return text_reply("text/plain", "ok\n");
  if (t.path == "/api/validate") return validate(t);
  return std::nullopt;
}

Routed route_get(Worker& worker, const Target& t, const std::string& ui_dir,
                 ApiCounters* counters) {
  if (auto common = route_common(t, ui_dir)) return answer(std::move(*common));
  if (t.path == "/api/stats") {
    Json stats = worker.stats();
    if (counters) stats.set("api", counters->to_json());
    return answer(text_reply("application/json", json_text(stats)));
  }
  if (t.path == "/metrics") return answer(metrics(worker, counters));
  if (t.path == "/api/names" || t.path == "/api/names/changes")
    return answer(names_reply(worker.names(), t));
  if (t.path == "/api/entries") return entries_page(worker, t, counters);
  if (t.path.starts_with("/api/entries/"))
    return entry_by_id(worker, std::string_view(t.path).substr(13));
  return answer(error_reply(404, "no such endpoint: " + t.path));
}

Reply handle_get(Worker& worker, const Target& t, const std::string& ui_dir) {
  Routed routed = route_get(worker, t, ui_dir);
  if (!routed.sliced) return std::move(routed.reply);
  Cancellation never;
  SliceBudget budget{never, Cancellation::Clock::time_point::max(), SIZE_MAX};
  Reply r;
  while (!routed.sliced->next(r.body, budget)) {
  }
  r.status = routed.sliced->status;
  r.content_type = routed.sliced->content_type;
  r.headers = routed.sliced->headers;
  return r;
}

}  // namespace trawl::api
