#include "sinks/sinks.h"

#include <ctime>

namespace trawl {

void FileOutput::flush() {
  if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  buffer_.clear();
  std::fflush(file_);
}

void JsonlSink::emit(Entry&& e) {
  write_entry_json(out_.buffer(), e);
  out_.buffer() += '\n';
  out_.maybe_flush();
}

void CountingSink::emit(Entry&& e) {
  buffer_.clear();
  write_entry_json(buffer_, e);
  bytes_ += buffer_.size() + 1;
  ++entries_;
}

namespace {

std::string field(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->str();
  return v->dump();
}

std::string endpoint(const EntryEndpoint& ep) {
  bool v6 = ep.ip.find(':') != std::string::npos;
  std::string host = v6 ? "[" + ep.ip + "]" : ep.ip;
  return ep.port ? host + ":" + std::to_string(ep.port) : host;
}

}  // namespace

std::string entry_summary(const Entry& e) {
  const Json& q = e.request;
  if (e.protocol == "http" || e.protocol == "http2" || e.protocol == "graphql") {
    if (const Json* op = q.find("operationType"))
      return "GraphQL " + op->str() + " " + field(q, "operationName");
    if (field(q, "upgrade") == "h2c") return "(h2c upgrade) " + field(q, "url");
    if (!q.find("method")) return "(response only)";
    return field(q, "method") + " " + field(q, "url");
  }
  if (e.protocol == "grpc") return field(q, "service") + "/" + field(q, "rpc");
  if (e.protocol == "amqp") {
    std::string s = field(q, "method");
    for (std::string_view key : {"queue", "exchange", "routingKey"})
      if (std::string v = field(q, key); !v.empty()) s += " " + std::string(key) + "=" + v;
    return s;
  }
  if (e.protocol == "kafka") {
    if (!q.find("apiKeyName")) return "(response only)";
    return field(q, "apiKeyName") + " v" + field(q, "apiVersion") + " " + field(q, "clientId");
  }
  if (e.protocol == "ldap") {
    std::string op = field(q, "operation");
    if (op.empty() && e.response) return field(*e.response, "operation");
    std::string what = field(q, "filter");
    if (what.empty()) what = field(q, "requestNameText");
    if (what.empty()) what = field(q, "requestName");
    if (what.empty()) what = field(q, "name");
    if (what.empty()) what = field(q, "baseObject");
    return op + (what.empty() ? "" : " " + what);
  }
  if (e.protocol == "redis") {
    if (!q.find("command")) return "(push)";
    std::string key = field(q, "key");
    return field(q, "command") + (key.empty() ? "" : " " + key);
  }
  if (e.protocol == "websocket") {
    std::string s = field(q, "direction") + " " + field(q, "opcode");
    std::string payload = field(q, "payload");
    if (!payload.empty()) s += " " + payload.substr(0, 80);
    return s;
  }
  if (e.protocol == "dns") {
    const Json* qs = q.find("questions");
    if (!qs || qs->size() == 0) {
      const Json* r = e.response ? e.response->find("questions") : nullptr;
      qs = r;
    }
    if (qs && qs->is_array() && qs->size() > 0) {
      const Json& first = qs->items()[0];
      return field(first, "type") + " " + field(first, "name");
    }
    return "(no question)";
  }
  if (e.protocol == "tls") {
    std::string sni = field(q, "sni");
    return "ClientHello " + (sni.empty() ? std::string("(no SNI)") : sni);
  }
  if (e.protocol == "icmp") {
    std::string s = field(q, "typeName");
    if (s.empty() && e.response) s = field(*e.response, "typeName");
    if (q.find("seq")) s += " id=" + field(q, "id") + " seq=" + field(q, "seq");
    if (const Json* o = q.find("original"); o && o->size()) {
      // The quoted packet this error is about, as "proto src:port -> dst:port".
      std::string proto = field(*o, "protocol");
      proto = proto == "6"     ? "tcp"
              : proto == "17"  ? "udp"
              : proto == "132" ? "sctp"
                               : "ip/" + proto;
      std::string sport = field(*o, "srcPort"), dport = field(*o, "dstPort");
      s += " code " + field(q, "code") + " for " + proto + " " + field(*o, "src") +
           (sport.empty() ? "" : ":" + sport) + " -> " + field(*o, "dst") +
           (dport.empty() ? "" : ":" + dport);
    }
    return s;
  }
  if (e.protocol == "tcp" || e.protocol == "udp" || e.protocol == "sctp") {
    std::string s =
        field(q, "packets") + "+" + (e.response ? field(*e.response, "packets") : "0") + " pkts";
    std::string l7 = field(q, "l7");
    if (l7 != "[]") s += " " + l7;
    return s;
  }
  return e.protocol;
}

std::string entry_status(const Entry& e) {
  if (!e.error.empty() && !e.response) return e.error;
  if (!e.response) return "-";
  const Json& r = *e.response;
  if (e.protocol == "http" || e.protocol == "http2" || e.protocol == "graphql")
    return field(r, "status");
  if (e.protocol == "ldap") return field(r, "resultCodeName");
  if (e.protocol == "amqp") return field(r, "method");
  if (e.protocol == "redis") {
    std::string v = field(r, "value");
    return field(r, "type") + (v.size() <= 24 ? " " + v : " " + v.substr(0, 21) + "...");
  }
  if (e.protocol == "grpc") {
    std::string g = field(r, "grpcStatus");
    return field(r, "status") + (g.empty() ? "" : " grpc " + g);
  }
  if (e.protocol == "dns") return field(r, "rcodeName");
  if (e.protocol == "tls") return field(r, "version") + " " + field(r, "cipherSuite");
  if (e.protocol == "icmp") return field(r, "typeName");
  if (e.protocol == "tcp") return field(e.request, "state");
  return "-";
}

TableSink::TableSink(std::FILE* f) : out_(f) {
  char header[160];
  std::snprintf(header, sizeof header, "%-23s %-5s %-47s %-30s %-12s %s\n", "TIME", "PROTO",
                "SOURCE -> DESTINATION", "SUMMARY", "STATUS", "LATENCY");
  out_.buffer() += header;
}

void TableSink::emit(Entry&& e) {
  expand_raw(e);
  std::time_t secs = e.timestamp_us / 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[80];
  std::snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                int(e.timestamp_us % 1000000 / 1000));
  std::string route = endpoint(e.src) + " -> " + endpoint(e.dst);
  std::string latency;
  if (e.response && e.elapsed_ms > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", e.elapsed_ms);
    latency = buf;
  }
  std::string status = entry_status(e);
  if (!e.error.empty() && e.response) status += " (" + e.error + ")";
  char line[2048];
  std::snprintf(line, sizeof line, "%s %-5s %-47s %-30s %-12s %s\n", when,
                std::string(protocol_abbr(e.protocol)).c_str(), route.c_str(),
                entry_summary(e).substr(0, 200).c_str(), status.c_str(), latency.c_str());
  out_.buffer() += line;
  out_.maybe_flush();
}

}  // namespace trawl
