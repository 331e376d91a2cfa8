#include <ctime>

#include "entries/json.h"
#include "kube/objects.h"

namespace trawl::kube {

namespace {

Json labels_json(const Labels& labels) {
  Json out = Json::object();
  for (const auto& [k, v] : labels) out.set(k, v);
  return out;
}

Json strings_json(const std::vector<std::string>& items) {
  Json out = Json::array();
  for (const std::string& s : items) out.push(s);
  return out;
}

Json ports_json(const std::vector<PortRef>& ports, const char* number_key) {
  Json out = Json::array();
  for (const PortRef& p : ports) {
    Json port = Json::object();
    if (!p.name.empty()) port.set("name", p.name);
    port.set("protocol", p.protocol);
    port.set(number_key, p.port);
    out.push(std::move(port));
  }
  return out;
}

Json meta_json(const Meta& m) {
  Json out = Json::object();
  out.set("name", m.name);
  if (!m.namespace_.empty()) out.set("namespace", m.namespace_);
  if (!m.labels.empty()) out.set("labels", labels_json(m.labels));
  if (!m.owners.empty()) {
    Json owners = Json::array();
    for (const OwnerRef& o : m.owners) {
      Json owner = Json::object();
      owner.set("kind", o.kind);
      owner.set("name", o.name);
      if (o.controller) owner.set("controller", true);
      owners.push(std::move(owner));
    }
    out.set("ownerReferences", std::move(owners));
  }
  if (m.created_us) out.set("creationTimestamp", format_rfc3339_us(m.created_us));
  if (m.deleting_us) out.set("deletionTimestamp", format_rfc3339_us(m.deleting_us));
  return out;
}

void pod_json(const Pod& p, Json& out) {
  Json spec = Json::object(), status = Json::object();
  if (!p.node.empty()) spec.set("nodeName", p.node);
  if (p.host_network) spec.set("hostNetwork", true);
  if (!p.container_ports.empty()) {
    Json container = Json::object();
    container.set("ports", ports_json(p.container_ports, "containerPort"));
    spec.set("containers", Json(Json::Array{std::move(container)}));
  }
  if (!p.phase.empty()) status.set("phase", p.phase);
  if (!p.host_ip.empty()) status.set("hostIP", p.host_ip);
  Json ips = Json::array();
  for (const std::string& ip : p.ips) {
    Json item = Json::object();
    item.set("ip", ip);
    ips.push(std::move(item));
  }
  status.set("podIPs", std::move(ips));
  out.set("spec", std::move(spec));
  out.set("status", std::move(status));
}

void service_json(const Service& s, Json& out) {
  Json spec = Json::object();
  if (!s.type.empty()) spec.set("type", s.type);
  if (!s.external_name.empty()) spec.set("externalName", s.external_name);
  spec.set("clusterIPs", strings_json(s.cluster_ips));
  if (!s.selector.empty()) spec.set("selector", labels_json(s.selector));
  spec.set("ports", ports_json(s.ports, "port"));
  out.set("spec", std::move(spec));
}

void slice_json(const EndpointSlice& s, Json& out) {
  Json endpoints = Json::array();
  for (const EndpointSlice::Endpoint& ep : s.endpoints) {
    Json e = Json::object();
    e.set("addresses", strings_json(ep.addresses));
    if (!ep.pod.empty()) {
      Json ref = Json::object();
      ref.set("kind", "Pod");
      ref.set("name", ep.pod);
      e.set("targetRef", std::move(ref));
    }
    if (!ep.node.empty()) e.set("nodeName", ep.node);
    Json conditions = Json::object();
    conditions.set("ready", ep.ready);
    e.set("conditions", std::move(conditions));
    endpoints.push(std::move(e));
  }
  out.set("endpoints", std::move(endpoints));
  out.set("ports", ports_json(s.ports, "port"));
}

void node_json(const Node& n, Json& out) {
  Json spec = Json::object(), status = Json::object(), addresses = Json::array();
  spec.set("podCIDRs", strings_json(n.pod_cidrs));
  for (const std::string& a : n.addresses) {
    Json item = Json::object();
    item.set("type", "InternalIP");
    item.set("address", a);
    addresses.push(std::move(item));
  }
  status.set("addresses", std::move(addresses));
  out.set("spec", std::move(spec));
  out.set("status", std::move(status));
}

}  // namespace

std::string object_json(const Object& o) {
  Json out = Json::object();
  out.set("kind", std::string(kind_of(o)));
  out.set("metadata", meta_json(meta_of(o)));
  if (const Pod* p = std::get_if<Pod>(&o)) pod_json(*p, out);
  if (const Service* s = std::get_if<Service>(&o)) service_json(*s, out);
  if (const EndpointSlice* s = std::get_if<EndpointSlice>(&o)) slice_json(*s, out);
  if (const Node* n = std::get_if<Node>(&o)) node_json(*n, out);
  return out.dump();
}

void trim_for_identity(Object& o) {
  std::visit(
      [](auto& v) {
        v.meta.uid.clear();
        v.meta.uid.shrink_to_fit();
        v.meta.resource_version.clear();
        v.meta.resource_version.shrink_to_fit();
      },
      o);
  if (Pod* p = std::get_if<Pod>(&o)) {
    p->host_ip.clear();
    p->host_ip.shrink_to_fit();
    if (!p->host_network) p->container_ports = {};
  }
  if (Service* s = std::get_if<Service>(&o)) s->selector = {}, s->ports = {};
  if (EndpointSlice* s = std::get_if<EndpointSlice>(&o))
    for (EndpointSlice::Endpoint& ep : s->endpoints) ep.addresses = {}, ep.node = {};
}

std::string format_rfc3339_us(int64_t us) {
  time_t seconds = time_t(us / 1000000);
  int micros = int(us % 1000000);
  if (micros < 0) micros += 1000000, --seconds;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(text + n, sizeof text - n, ".%06dZ", micros);
  return text;
}

}  // namespace trawl::kube
