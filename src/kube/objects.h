// The parts of Kubernetes objects that identity needs, read from their JSON as
// the API server sends them (lists, watch events). Everything is optional on
// the wire: a field that is absent or of another type is left empty, never an
// error; an object without kind or metadata.name is refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace trawl::kube {

using Labels = std::vector<std::pair<std::string, std::string>>;  // sorted by key

struct OwnerRef {
  std::string kind, name;
  bool controller = false;
  bool operator==(const OwnerRef&) const = default;
};

struct Meta {
  std::string name, namespace_, uid, resource_version;
  Labels labels;
  std::vector<OwnerRef> owners;
  int64_t created_us = 0;   // creationTimestamp
  int64_t deleting_us = 0;  // deletionTimestamp, 0 when not being deleted
};

struct PortRef {
  std::string name, protocol;  // protocol: TCP (the default), UDP or SCTP
  int port = 0;
  bool operator==(const PortRef&) const = default;
};

struct Pod {
  Meta meta;
  std::string node, phase;
  std::vector<std::string> ips;  // status.podIPs (both families), else status.podIP
  std::string host_ip;
  bool host_network = false;
  std::vector<PortRef> container_ports;  // with hostNetwork, the ports it owns on the node
};

struct Service {
  Meta meta;
  std::string type, external_name;
  std::vector<std::string> cluster_ips;  // spec.clusterIPs, else spec.clusterIP; not "None"
  Labels selector;
  std::vector<PortRef> ports;
};

struct EndpointSlice {
  struct Endpoint {
    std::vector<std::string> addresses;
    std::string pod, node;  // targetRef (kind Pod) and nodeName
    bool ready = true;
  };
  Meta meta;
  std::string service;  // label kubernetes.io/service-name
  std::vector<Endpoint> endpoints;
  std::vector<PortRef> ports;
};

struct Node {
  Meta meta;
  std::vector<std::string> addresses;  // InternalIP and ExternalIP
  std::vector<std::string> pod_cidrs;
};

// Namespaces, ReplicaSets, Jobs, Deployments, ...: their metadata (owners,
// labels) is what identity reads.
struct Other {
  std::string kind;
  Meta meta;
};

using Object = std::variant<Pod, Service, EndpointSlice, Node, Other>;

// Reads one object (its JSON text). False, with `error` saying why, when the
// text is not a JSON object with a kind and a metadata.name.
bool parse_object(std::string_view json, Object& out, std::string& error);

const Meta& meta_of(const Object& o);
std::string_view kind_of(const Object& o);

// The object as JSON that parse_object reads back to the same object, with only
// the fields identity reads (no uid or resourceVersion): what a name history
// keeps of it, and what tells whether a change matters to identity.
std::string object_json(const Object& o);

// Drops what identity never reads again (uid, resourceVersion, a pod's host
// IP and, unless hostNetwork, its container ports; a service's selector and
// ports; a slice endpoint's addresses and node: pods are named by targetRef),
// so a cluster's objects fit the budget.
void trim_for_identity(Object& o);

// "2026-12-02T10:00:00.123456Z" for microseconds since the epoch.
std::string format_rfc3339_us(int64_t us);

// RFC 3339 as Kubernetes writes it ("2026-12-02T10:00:00Z", maybe with a
// fraction or an offset), in microseconds since the epoch; 0 when it is not one.
int64_t parse_rfc3339_us(std::string_view text);

}  // namespace trawl::kube
