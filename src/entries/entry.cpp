#include "entries/entry.h"

#include <array>
#include <utility>

namespace trawl {

std::string_view protocol_abbr(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kAbbr{{
      {"http", "HTTP"},
      {"http2", "HTTP/2"},
      {"grpc", "gRPC"},
      {"graphql", "GQL"},
      {"websocket", "WS"},
      {"amqp", "AMQP"},
      {"kafka", "KAFKA"},
      {"redis", "REDIS"},
      {"ldap", "LDAP"},
      {"dns", "DNS"},
      {"icmp", "ICMP"},
      {"tls", "TLS"},
      {"tcp", "TCP"},
      {"udp", "UDP"},
      {"sctp", "SCTP"},
  }};
  for (const auto& [n, a] : kAbbr)
    if (n == name) return a;
  return name;
}

namespace {

void write_endpoint(std::string& out, const EntryEndpoint& ep) {
  out += "{\"ip\":";
  write_json_string(out, ep.ip);
  out += ",\"port\":";
  out += std::to_string(ep.port);
  out += '}';
}

}  // namespace

void write_entry_json(std::string& out, const Entry& e) {
  out += "{\"id\":\"";
  out += std::to_string(e.id);
  out += "\",\"protocol\":{\"name\":";
  write_json_string(out, e.protocol);
  out += ",\"abbr\":";
  write_json_string(out, protocol_abbr(e.protocol));
  out += ",\"version\":";
  write_json_string(out, e.version);
  out += ",\"layer4\":";
  write_json_string(out, e.layer4);
  out += "},\"src\":";
  write_endpoint(out, e.src);
  out += ",\"dst\":";
  write_endpoint(out, e.dst);
  out += ",\"timestamp\":";
  out += std::to_string(e.timestamp_us / 1000);
  out += ",\"timestampUs\":";
  out += std::to_string(e.timestamp_us);
  out += ",\"elapsedTime\":";
  Json(e.elapsed_ms).write(out);
  out += ",\"request\":";
  e.request.write(out);
  if (e.response) {
    out += ",\"response\":";
    e.response->write(out);
  }
  out += ",\"requestSize\":";
  out += std::to_string(e.request_size);
  out += ",\"responseSize\":";
  out += std::to_string(e.response_size);
  out += ",\"stream\":";
  write_json_string(out, e.stream);
  out += ",\"tls\":";
  out += e.tls ? "true" : "false";
  if (!e.error.empty()) {
    out += ",\"error\":";
    write_json_string(out, e.error);
  }
  out += '}';
}

}  // namespace trawl
