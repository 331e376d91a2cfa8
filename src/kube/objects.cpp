#include "kube/objects.h"

#include <simdjson.h>

#include <algorithm>
#include <ctime>

#include "kube/objects_json.h"

namespace trawl::kube {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;
// A member looked up, maybe absent: lookups through it stay safe and find nothing.
using Field = simdjson::simdjson_result<element>;
// (The readers below take an element or a Field.)

// A member of `e` as text, "" when absent or not a string.
std::string text(auto e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return {};
  return std::string(v);
}

bool boolean(auto e, std::string_view key) {
  bool v = false;
  return !e[key].get_bool().get(v) && v;
}

int64_t integer(auto e, std::string_view key) {
  int64_t v = 0;
  return e[key].get_int64().get(v) ? 0 : v;
}

// The elements of array member `key`; none when absent or not an array.
std::vector<element> elements(auto e, std::string_view key) {
  array a;
  if (e[key].get_array().get(a)) return {};
  return std::vector<element>(a.begin(), a.end());
}

Labels labels(auto e, std::string_view key) {
  Labels out;
  object o;
  if (e[key].get_object().get(o)) return out;
  for (auto field : o) {
    std::string_view v;
    if (!field.value.get_string().get(v)) out.emplace_back(std::string(field.key), std::string(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> strings(auto e, std::string_view key) {
  std::vector<std::string> out;
  for (element item : elements(e, key)) {
    std::string_view v;
    if (!item.get_string().get(v) && !v.empty()) out.emplace_back(v);
  }
  return out;
}

std::vector<PortRef> ports(auto e, std::string_view key, std::string_view number_key) {
  std::vector<PortRef> out;
  for (element p : elements(e, key)) {
    PortRef ref{text(p, "name"), text(p, "protocol"), int(integer(p, number_key))};
    if (ref.protocol.empty()) ref.protocol = "TCP";
    out.push_back(std::move(ref));
  }
  return out;
}

Meta meta(element e) {
  Field m = e["metadata"];
  Meta out{text(m, "name"),
           text(m, "namespace"),
           text(m, "uid"),
           text(m, "resourceVersion"),
           labels(m, "labels"),
           {},
           parse_rfc3339_us(text(m, "creationTimestamp")),
           parse_rfc3339_us(text(m, "deletionTimestamp"))};
  for (element o : elements(m, "ownerReferences"))
    out.owners.push_back({text(o, "kind"), text(o, "name"), boolean(o, "controller")});
  return out;
}

Pod pod(element e, Meta m) {
  Field spec = e["spec"], status = e["status"];
  Pod p{std::move(m),
        text(spec, "nodeName"),
        text(status, "phase"),
        {},
        text(status, "hostIP"),
        boolean(spec, "hostNetwork"),
        {}};
  for (element ip : elements(status, "podIPs"))
    if (std::string a = text(ip, "ip"); !a.empty()) p.ips.push_back(std::move(a));
  if (p.ips.empty())
    if (std::string a = text(status, "podIP"); !a.empty()) p.ips.push_back(std::move(a));
  for (element c : elements(spec, "containers")) {
    for (PortRef& port : ports(c, "ports", "containerPort")) p.container_ports.push_back(port);
  }
  return p;
}

Service service(element e, Meta m) {
  Field spec = e["spec"];
  Service s{std::move(m),
            text(spec, "type"),
            text(spec, "externalName"),
            strings(spec, "clusterIPs"),
            labels(spec, "selector"),
            ports(spec, "ports", "port")};
  if (s.cluster_ips.empty())
    if (std::string ip = text(spec, "clusterIP"); !ip.empty()) s.cluster_ips.push_back(ip);
  std::erase(s.cluster_ips, "None");  // a headless service has no address of its own
  return s;
}

EndpointSlice endpoint_slice(element e, Meta m) {
  EndpointSlice s{std::move(m), {}, {}, ports(e, "ports", "port")};
  for (const auto& [k, v] : s.meta.labels)
    if (k == "kubernetes.io/service-name") s.service = v;
  for (element ep : elements(e, "endpoints")) {
    EndpointSlice::Endpoint out{strings(ep, "addresses"), {}, text(ep, "nodeName"), true};
    Field ref = ep["targetRef"];
    if (text(ref, "kind") == "Pod") out.pod = text(ref, "name");
    bool ready = true;
    if (!ep["conditions"]["ready"].get_bool().get(ready)) out.ready = ready;
    s.endpoints.push_back(std::move(out));
  }
  return s;
}

Node node(element e, Meta m) {
  Node n{std::move(m), {}, strings(e["spec"], "podCIDRs")};
  for (element a : elements(e["status"], "addresses")) {
    std::string type = text(a, "type");
    if (type == "InternalIP" || type == "ExternalIP") n.addresses.push_back(text(a, "address"));
  }
  if (n.pod_cidrs.empty())
    if (std::string cidr = text(e["spec"], "podCIDR"); !cidr.empty()) n.pod_cidrs.push_back(cidr);
  return n;
}

}  // namespace

bool parse_object(std::string_view json, Object& out, std::string& error) {
  thread_local simdjson::dom::parser parser;
  element e;
  if (auto err = parser.parse(json.data(), json.size()).get(e)) {
    error = std::string("not JSON: ") + simdjson::error_message(err);
    return false;
  }
  return parse_object(e, out, error);
}

bool parse_object(element e, Object& out, std::string& error, std::string_view kind_if_absent) {
  if (!e.is_object()) {
    error = "not a JSON object";
    return false;
  }
  std::string kind = text(e, "kind");
  if (kind.empty()) kind = kind_if_absent;
  Meta m = meta(e);
  if (kind.empty() || m.name.empty()) {
    error = "an object without kind or metadata.name";
    return false;
  }
  if (kind == "Pod")
    out = pod(e, std::move(m));
  else if (kind == "Service")
    out = service(e, std::move(m));
  else if (kind == "EndpointSlice")
    out = endpoint_slice(e, std::move(m));
  else if (kind == "Node")
    out = node(e, std::move(m));
  else
    out = Other{std::move(kind), std::move(m)};
  return true;
}

const Meta& meta_of(const Object& o) {
  return std::visit([](const auto& v) -> const Meta& { return v.meta; }, o);
}

std::string_view kind_of(const Object& o) {
  struct Kind {
    std::string_view operator()(const Pod&) const { return "Pod"; }
    std::string_view operator()(const Service&) const { return "Service"; }
    std::string_view operator()(const EndpointSlice&) const { return "EndpointSlice"; }
    std::string_view operator()(const Node&) const { return "Node"; }
    std::string_view operator()(const Other& o) const { return o.kind; }
  };
  return std::visit(Kind{}, o);
}

int64_t parse_rfc3339_us(std::string_view t) {
  // 2026-12-02T10:00:00[.ffffff](Z|+hh:mm|-hh:mm)
  auto digits = [&](size_t at, size_t n) -> int {
    if (at + n > t.size()) return -1;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':')
    return 0;
  std::tm tm{};
  tm.tm_year = digits(0, 4) - 1900, tm.tm_mon = digits(5, 2) - 1, tm.tm_mday = digits(8, 2);
  tm.tm_hour = digits(11, 2), tm.tm_min = digits(14, 2), tm.tm_sec = digits(17, 2);
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60)
    return 0;
  size_t at = 19;
  int64_t micros = 0, scale = 100000;
  if (t[at] == '.')
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at, scale /= 10)
      micros += (t[at] - '0') * scale;
  int64_t offset_s = 0;
  if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
    int h = digits(at + 1, 2), m = digits(at + 4, 2);
    if (h < 0 || m < 0 || at + 6 != t.size() || t[at + 3] != ':') return 0;
    offset_s = (t[at] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  } else if (at + 1 != t.size() || (t[at] != 'Z' && t[at] != 'z')) {
    return 0;
  }
  return (int64_t(timegm(&tm)) - offset_s) * 1000000 + micros;
}

}  // namespace trawl::kube
