#include "entries/summary.h"

#include <string_view>
#include <utility>

#include "entries/json_parse.h"

namespace trawl {

namespace {

std::string field(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->str();
  return v->dump();
}

std::string http_summary(const Entry& e) {
  const Json& q = e.request;
  if (const Json* op = q.find("operationType"))
    return "GraphQL " + op->str() + " " + field(q, "operationName");
  if (field(q, "upgrade") == "h2c") return "(h2c upgrade) " + field(q, "url");
  if (!q.find("method")) return "(response only)";
  return field(q, "method") + " " + field(q, "url");
}

std::string grpc_summary(const Entry& e) {
  return field(e.request, "service") + "/" + field(e.request, "rpc");
}

std::string amqp_summary(const Entry& e) {
  std::string s = field(e.request, "method");
  for (std::string_view key : {"queue", "exchange", "routingKey"})
    if (std::string v = field(e.request, key); !v.empty()) s += " " + std::string(key) + "=" + v;
  return s;
}

std::string kafka_summary(const Entry& e) {
  const Json& q = e.request;
  if (!q.find("apiKeyName")) return "(response only)";
  return field(q, "apiKeyName") + " v" + field(q, "apiVersion") + " " + field(q, "clientId");
}

std::string ldap_summary(const Entry& e) {
  const Json& q = e.request;
  std::string op = field(q, "operation");
  if (op.empty() && e.response) return field(*e.response, "operation");
  std::string what;
  for (std::string_view key : {"filter", "requestNameText", "requestName", "name", "baseObject"})
    if (what.empty()) what = field(q, key);
  return op + (what.empty() ? "" : " " + what);
}

std::string redis_summary(const Entry& e) {
  const Json& q = e.request;
  if (!q.find("command")) return "(push)";
  std::string key = field(q, "key");
  return field(q, "command") + (key.empty() ? "" : " " + key);
}

std::string websocket_summary(const Entry& e) {
  const Json& q = e.request;
  std::string s = field(q, "direction") + " " + field(q, "opcode");
  std::string payload = field(q, "payload");
  if (!payload.empty()) s += " " + payload.substr(0, 80);
  return s;
}

std::string dns_summary(const Entry& e) {
  const Json* qs = e.request.find("questions");
  if ((!qs || qs->size() == 0) && e.response) qs = e.response->find("questions");
  if (!qs || !qs->is_array() || qs->size() == 0) return "(no question)";
  const Json& first = qs->items()[0];
  return field(first, "type") + " " + field(first, "name");
}

std::string tls_summary(const Entry& e) {
  std::string sni = field(e.request, "sni");
  return "ClientHello " + (sni.empty() ? std::string("(no SNI)") : sni);
}

// The quoted packet an ICMP error is about, as "tcp 10.0.0.1:80 -> 10.0.0.2:4000".
std::string quoted_packet(const Json& o) {
  std::string proto = field(o, "protocol");
  proto = proto == "6" ? "tcp" : proto == "17" ? "udp" : proto == "132" ? "sctp" : "ip/" + proto;
  std::string sport = field(o, "srcPort"), dport = field(o, "dstPort");
  return proto + " " + field(o, "src") + (sport.empty() ? "" : ":" + sport) + " -> " +
         field(o, "dst") + (dport.empty() ? "" : ":" + dport);
}

std::string icmp_summary(const Entry& e) {
  const Json& q = e.request;
  std::string s = field(q, "typeName");
  if (s.empty() && e.response) s = field(*e.response, "typeName");
  if (q.find("seq")) s += " id=" + field(q, "id") + " seq=" + field(q, "seq");
  if (const Json* o = q.find("original"); o && o->size())
    s += " code " + field(q, "code") + " for " + quoted_packet(*o);
  return s;
}

// "closed 6+4 pkts http": the state, packets each way, the protocols on it.
std::string flow_summary(const Entry& e) {
  const Json& q = e.request;
  std::string state = field(q, "state");
  std::string s = (state.empty() ? "" : state + " ") + field(q, "packets") + "+" +
                  (e.response ? field(*e.response, "packets") : "0") + " pkts";
  if (const Json* l7 = q.find("l7"); l7 && l7->is_array())
    for (size_t i = 0; i < l7->size(); ++i) s += (i ? "," : " ") + l7->items()[i].str();
  return s;
}

using Summarise = std::string (*)(const Entry&);

constexpr std::pair<std::string_view, Summarise> kSummaries[] = {
    {"http", http_summary}, {"http2", http_summary},  {"graphql", http_summary},
    {"grpc", grpc_summary}, {"amqp", amqp_summary},   {"kafka", kafka_summary},
    {"ldap", ldap_summary}, {"redis", redis_summary}, {"websocket", websocket_summary},
    {"dns", dns_summary},   {"tls", tls_summary},     {"icmp", icmp_summary},
    {"tcp", flow_summary},  {"udp", flow_summary},    {"sctp", flow_summary},
};

}  // namespace

std::string entry_summary(const Entry& e) {
  if (e.request.is_raw() || (e.response && e.response->is_raw())) {
    Entry expanded = e;  // fields written as JSON text (Redis) are read as values
    expand_raw(expanded);
    return entry_summary(expanded);
  }
  for (const auto& [protocol, summarise] : kSummaries)
    if (protocol == e.protocol) return summarise(e);
  return e.protocol;
}

void write_served_entry_json(std::string& out, const Entry& e) {
  write_entry_json(out, e);
  out.pop_back();  // the closing brace
  out += ",\"summary\":";
  write_json_string(out, entry_summary(e));
  out += '}';
}

}  // namespace trawl
