#include "api/routes.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>

#include "query/kfl.h"

namespace trawl::api {

namespace {

constexpr uint64_t kDefaultLimit = 100, kMaxLimit = 10000;

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

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string json_text(const Json& j) {
  std::string out;
  j.write(out);
  return out;
}

Json compile_error_json(const kfl::CompileError& e) {
  Json o = Json::object();
  o.set("valid", false);
  o.set("error", e.text());
  o.set("line", e.line);
  o.set("column", e.column);
  return o;
}

Reply entries(Worker& worker, const Target& t) {
  auto param = [&](const char* name) -> const std::string* {
    auto it = t.params.find(name);
    return it == t.params.end() ? nullptr : &it->second;
  };
  uint64_t limit = kDefaultLimit, before = 0, after = 0;
  if (auto* l = param("limit"); l && (!parse_u64(*l, limit) || limit == 0 || limit > kMaxLimit))
    return error_reply(400, "limit must be a whole number from 1 to 10000");
  if (auto* b = param("before"); b && !parse_u64(*b, before))
    return error_reply(400, "before must be an entry id");
  if (auto* a = param("after"); a && !parse_u64(*a, after))
    return error_reply(400, "after must be an entry id");
  kfl::CompileError error;
  auto query = kfl::Query::compile(param("q") ? *param("q") : "", error);
  if (!query) {
    Reply r;
    r.status = 400;
    r.body = json_text(compile_error_json(error));
    return r;
  }
  StoreRange range;
  if (before) range.max_id = before - 1;
  range.min_id = after + 1;
  kfl::QueryBounds bounds = query->bounds();
  range.min_us = bounds.min_us;
  range.max_us = bounds.max_us;
  if (bounds.protocols) {
    range.protocols = 0;
    for (const auto& p : *bounds.protocols) range.protocols |= protocol_bit(p);
  }
  if (query->limit()) limit = std::min(limit, *query->limit());
  std::string body = "{\"entries\":[";
  uint64_t matched = 0, oldest = 0;
  uint64_t scanned = worker.store().scan(range, [&](Entry& e) {
    if (!query->matches(e)) return true;
    if (query->redacts()) query->redact(e);
    if (matched++) body += ',';
    write_entry_json(body, e);
    oldest = e.id;
    return matched < limit;
  });
  body += "],\"count\":" + std::to_string(matched) + ",\"scanned\":" + std::to_string(scanned);
  // The next page: entries older than the last one returned.
  if (matched == limit) body += ",\"next\":\"" + std::to_string(oldest) + "\"";
  body += "}";
  Reply r;
  r.body = std::move(body);
  return r;
}

Reply one_entry(Worker& worker, std::string_view rest) {
  bool pcap = rest.ends_with("/pcap");
  if (pcap) rest.remove_suffix(5);
  uint64_t id;
  if (!parse_u64(rest, id)) return error_reply(400, "not an entry id: " + std::string(rest));
  auto e = worker.store().get(id);
  if (!e) return error_reply(404, "no entry " + std::to_string(id) + " in the store");
  Reply r;
  if (!pcap) {
    write_entry_json(r.body, *e);
    return r;
  }
  auto bytes = export_connection(worker.packets_dir(), e->layer4, e->src, e->dst);
  if (!bytes)
    return error_reply(404, "the packets of entry " + std::to_string(id) +
                                " are no longer kept (or were never captured)");
  r.content_type = "application/vnd.tcpdump.pcap";
  r.headers["Content-Disposition"] =
      "attachment; filename=\"trawl-" + std::to_string(id) + ".pcap\"";
  r.body = std::move(*bytes);
  return r;
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
<li><a href="/api/stats">/api/stats</a>: capture, loss, store and protocol counters</li>
<li><a href="/metrics">/metrics</a>: Prometheus</li>
<li>WebSocket /api/stream: send a KFL query, receive matching entries live</li>
</ul>
<p>From a shell: <code>trawl query 'http and response.status >= 500'</code>,
<code>trawl tail redis</code>.</p>
</body></html>
)";

// A file of the dashboard; nothing for paths that leave the directory.
std::optional<Reply> ui_file(const std::string& ui_dir, const std::string& path) {
  if (ui_dir.empty() || path.find("..") != std::string::npos ||
      path.find('\0') != std::string::npos)
    return std::nullopt;
  std::string file = path == "/" ? "/index.html" : path;
  std::ifstream in(ui_dir + file, std::ios::binary);
  if (!in) return std::nullopt;
  Reply r;
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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
  auto dir = exe.parent_path().parent_path() / "ui" / "dist";
  return std::filesystem::exists(dir / "index.html", ec) ? dir.string() : "";
}

Reply handle_get(Worker& worker, const Target& t, const std::string& ui_dir) {
  if (!t.path.starts_with("/api/") && t.path != "/healthz" && t.path != "/metrics") {
    if (auto file = ui_file(ui_dir, t.path)) return std::move(*file);
    if (t.path == "/") {
      Reply r;
      r.content_type = "text/html; charset=utf-8";
      r.body = std::string(kLandingPage);
      return r;
    }
  }
  if (t.path == "/healthz") {
    Reply r;
    r.content_type = "text/plain";
    r.body = "ok\n";
    return r;
  }
  if (t.path == "/api/stats") {
    Reply r;
    r.body = json_text(worker.stats());
    return r;
  }
  if (t.path == "/metrics") {
    Reply r;
    r.content_type = "text/plain; version=0.0.4";
    worker.metrics().render(r.body);
    Json s = worker.stats();
    auto gauge = [&](const char* name, const char* type, const char* help, int64_t v) {
      r.body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type +
                "\n" + name + " " + std::to_string(v) + "\n";
    };
    auto field = [&](const char* group, const char* key) -> int64_t {
      const Json* g = s.find(group);
      const Json* v = g ? g->find(key) : nullptr;
      return v && v->is_int() ? v->integer() : 0;
    };
    gauge("trawl_kernel_drops_total", "counter", "Packets the kernel dropped (capture ring full).",
          field("live", "kernel_drops"));
    gauge("trawl_interface_drops_total", "counter", "Packets dropped by interfaces.",
          field("live", "interface_drops"));
    gauge("trawl_packets_total", "counter", "Packets captured.", field("capture", "packets"));
    gauge("trawl_packet_ring_dropped_total", "counter",
          "Packets not kept in the packet ring (its writer was behind the disk).",
          field("packet_ring", "dropped_packets"));
    gauge("trawl_packet_ring_write_errors_total", "counter", "Failed writes of the packet ring.",
          field("packet_ring", "write_errors"));
    gauge("trawl_tcp_gap_bytes_total", "counter", "Bytes lost in TCP streams.",
          field("loss", "tcp_gap_bytes"));
    gauge("trawl_stream_skipped_total", "counter",
          "Entries not sent to live stream clients that fell behind.", field("stream", "skipped"));
    gauge("trawl_store_entries", "gauge", "Entries in the store.", field("store", "entries"));
    gauge("trawl_store_bytes", "gauge", "Bytes of the store on disk.", field("store", "bytes"));
    return r;
  }
  if (t.path == "/api/validate") {
    auto it = t.params.find("q");
    kfl::CompileError error;
    auto query = kfl::Query::compile(it == t.params.end() ? "" : it->second, error);
    Reply r;
    if (query) {
      r.body = R"({"valid":true})";
    } else {
      r.body = json_text(compile_error_json(error));
    }
    return r;
  }
  if (t.path == "/api/entries") return entries(worker, t);
  if (t.path.starts_with("/api/entries/"))
    return one_entry(worker, std::string_view(t.path).substr(13));
  return error_reply(404, "no such endpoint: " + t.path);
}

}  // namespace trawl::api
