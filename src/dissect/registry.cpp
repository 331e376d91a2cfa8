#include "dissect/registry.h"

#include <algorithm>
#include <array>

#include "protocols/amqp/amqp.h"
#include "protocols/dns/dns.h"
#include "protocols/http1/http1.h"
#include "protocols/http2/http2.h"
#include "protocols/kafka/kafka.h"
#include "protocols/ldap/ldap.h"
#include "protocols/redis/redis.h"
#include "protocols/tls/tls.h"
#include "protocols/websocket/websocket.h"

namespace trawl {

std::span<const ProtocolInfo* const> registered_protocols() {
  // One line per protocol, in probing order.
  static const auto kProtocols = std::to_array<const ProtocolInfo*>({
      &http1_protocol(),
      &http2_protocol(),
      &tls_protocol(),
      &dns_protocol(),
      &redis_protocol(),
      &ldap_protocol(),
      &kafka_protocol(),
      &amqp_protocol(),
      &websocket_protocol(),
  });
  return kProtocols;
}

namespace {

bool has_port(const ProtocolInfo& p, uint16_t a, uint16_t b) {
  return std::find(p.ports.begin(), p.ports.end(), a) != p.ports.end() ||
         std::find(p.ports.begin(), p.ports.end(), b) != p.ports.end();
}

}  // namespace

const ProtocolInfo* protocol_by_name(std::string_view name) {
  for (const ProtocolInfo* p : registered_protocols())
    if (p->name == name) return p;
  return nullptr;
}

const ProtocolInfo* protocol_for_upgrade(std::string_view token) {
  for (const ProtocolInfo* p : registered_protocols())
    if (p->create_upgraded && !token.empty() && p->upgrade_token.size() == token.size() &&
        std::equal(token.begin(), token.end(), p->upgrade_token.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); }))
      return p;
  return nullptr;
}

const ProtocolInfo* detect_protocol(Bytes first, Direction dir, Transport transport,
                                    uint16_t port_a, uint16_t port_b, bool final_attempt,
                                    bool* any_maybe) {
  const ProtocolInfo* yes = nullptr;
  const ProtocolInfo* maybe = nullptr;
  for (const ProtocolInfo* p : registered_protocols()) {
    if (!(p->transports & transport)) continue;
    Probe r = p->probe(first, dir);
    if (r == Probe::kYes) {
      if (!yes || (!has_port(*yes, port_a, port_b) && has_port(*p, port_a, port_b))) yes = p;
    } else if (r == Probe::kMaybe) {
      if (!maybe || (!has_port(*maybe, port_a, port_b) && has_port(*p, port_a, port_b))) maybe = p;
    }
  }
  *any_maybe = maybe != nullptr;
  if (yes) return yes;
  // A Maybe is only taken at the last attempt, and only when a port agrees.
  if (final_attempt && maybe && has_port(*maybe, port_a, port_b)) return maybe;
  return nullptr;
}

}  // namespace trawl
