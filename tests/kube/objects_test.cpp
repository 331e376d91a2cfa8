#include "kube/objects.h"

#include <gtest/gtest.h>

namespace trawl::kube {
namespace {

// As `kubectl get pod -o json` prints one (trimmed of what identity ignores).
constexpr std::string_view kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "checkout-7d9c8b6f5-x2x9q", "namespace": "shop", "uid": "5b1c",
    "resourceVersion": "48213", "creationTimestamp": "2026-12-02T10:00:00Z",
    "labels": {"pod-template-hash": "7d9c8b6f5", "app": "checkout"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
      "name": "checkout-7d9c8b6f5", "uid": "9e", "controller": true, "blockOwnerDeletion": true}]
  },
  "spec": {"nodeName": "n1", "containers": [
    {"name": "app", "image": "shop/checkout", "ports": [{"containerPort": 8080, "name": "http"},
      {"containerPort": 9090, "protocol": "UDP"}]},
    {"name": "sidecar", "ports": [{"containerPort": 15001}]}]},
  "status": {"phase": "Running", "hostIP": "10.77.0.1", "podIP": "10.244.1.7",
    "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00:10:244:1::7"}]}
})";

TEST(KubeObjects, APodWithBothFamiliesItsOwnerAndPorts) {
  Object o;
  std::string error;
  ASSERT_TRUE(parse_object(kPod, o, error)) << error;
  ASSERT_TRUE(std::holds_alternative<Pod>(o));
  const Pod& p = std::get<Pod>(o);
  EXPECT_EQ(kind_of(o), "Pod");
  EXPECT_EQ(p.meta.name, "checkout-7d9c8b6f5-x2x9q");
  EXPECT_EQ(p.meta.namespace_, "shop");
  EXPECT_EQ(p.meta.resource_version, "48213");
  EXPECT_EQ(p.meta.created_us, int64_t(1796205600) * 1000000);
  EXPECT_EQ(p.meta.deleting_us, 0);
  EXPECT_EQ(p.meta.labels, (Labels{{"app", "checkout"}, {"pod-template-hash", "7d9c8b6f5"}}));
  EXPECT_EQ(p.meta.owners, (std::vector<OwnerRef>{{"ReplicaSet", "checkout-7d9c8b6f5", true}}));
  EXPECT_EQ(p.node, "n1");
  EXPECT_EQ(p.phase, "Running");
  EXPECT_EQ(p.host_ip, "10.77.0.1");
  EXPECT_FALSE(p.host_network);
  EXPECT_EQ(p.ips, (std::vector<std::string>{"10.244.1.7", "fd00:10:244:1::7"}));
  EXPECT_EQ(p.container_ports,
            (std::vector<PortRef>{{"http", "TCP", 8080}, {"", "UDP", 9090}, {"", "TCP", 15001}}));
}

TEST(KubeObjects, AHostNetworkPodWithOnlyPodIP) {
  Object o;
  std::string error;
  ASSERT_TRUE(parse_object(R"({"kind":"Pod","metadata":{"name":"node-exporter","namespace":"mon"},
    "spec":{"hostNetwork":true,"containers":[{"ports":[{"containerPort":9100,"hostPort":9100}]}]},
    "status":{"podIP":"10.77.0.2"}})",
                           o, error))
      << error;
  const Pod& p = std::get<Pod>(o);
  EXPECT_TRUE(p.host_network);
  EXPECT_EQ(p.ips, (std::vector<std::string>{"10.77.0.2"}));
  EXPECT_EQ(p.container_ports, (std::vector<PortRef>{{"", "TCP", 9100}}));
}

TEST(KubeObjects, ServicesHeadlessAndNot) {
  Object o;
  std::string error;
  ASSERT_TRUE(parse_object(R"({"kind":"Service","metadata":{"name":"web","namespace":"shop"},
    "spec":{"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10","fd00:96::a"],
    "selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080}]}})",
                           o, error));
  const Service& s = std::get<Service>(o);
  EXPECT_EQ(s.type, "ClusterIP");
  EXPECT_EQ(s.cluster_ips, (std::vector<std::string>{"10.96.0.10", "fd00:96::a"}));
  EXPECT_EQ(s.selector, (Labels{{"app", "web"}}));
  EXPECT_EQ(s.ports, (std::vector<PortRef>{{"http", "TCP", 80}}));
  ASSERT_TRUE(parse_object(R"({"kind":"Service","metadata":{"name":"db","namespace":"shop"},
    "spec":{"clusterIP":"None"}})",
                           o, error));
  EXPECT_TRUE(std::get<Service>(o).cluster_ips.empty());
  ASSERT_TRUE(parse_object(R"({"kind":"Service","metadata":{"name":"ext","namespace":"shop"},
    "spec":{"type":"ExternalName","externalName":"api.example.com"}})",
                           o, error));
  EXPECT_EQ(std::get<Service>(o).external_name, "api.example.com");
}

TEST(KubeObjects, EndpointSlicesAndNodes) {
  Object o;
  std::string error;
  ASSERT_TRUE(parse_object(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
    "metadata":{"name":"web-abc12","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
    "addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],
    "endpoints":[{"addresses":["10.244.1.7"],"conditions":{"ready":true},"nodeName":"n1",
                  "targetRef":{"kind":"Pod","name":"web-1","namespace":"shop"}},
                 {"addresses":["10.244.2.9"],"conditions":{"ready":false}}]})",
                           o, error));
  const EndpointSlice& s = std::get<EndpointSlice>(o);
  EXPECT_EQ(s.service, "web");
  ASSERT_EQ(s.endpoints.size(), 2u);
  EXPECT_EQ(s.endpoints[0].pod, "web-1");
  EXPECT_EQ(s.endpoints[0].node, "n1");
  EXPECT_TRUE(s.endpoints[0].ready);
  EXPECT_FALSE(s.endpoints[1].ready);
  EXPECT_EQ(s.ports, (std::vector<PortRef>{{"http", "TCP", 8080}}));
  ASSERT_TRUE(parse_object(R"({"kind":"Node","metadata":{"name":"n1"},
    "spec":{"podCIDR":"10.244.1.0/24"},
    "status":{"addresses":[{"type":"InternalIP","address":"10.77.0.1"},
                           {"type":"Hostname","address":"n1"}]}})",
                           o, error));
  const Node& n = std::get<Node>(o);
  EXPECT_EQ(n.addresses, (std::vector<std::string>{"10.77.0.1"}));
  EXPECT_EQ(n.pod_cidrs, (std::vector<std::string>{"10.244.1.0/24"}));
}

TEST(KubeObjects, OthersKeepTheirOwnersAndBadObjectsAreRefused) {
  Object o;
  std::string error;
  ASSERT_TRUE(parse_object(R"({"kind":"ReplicaSet","metadata":{"name":"checkout-7d9c8b6f5",
    "namespace":"shop","ownerReferences":[{"kind":"Deployment","name":"checkout","controller":true}]}})",
                           o, error));
  EXPECT_EQ(kind_of(o), "ReplicaSet");
  EXPECT_EQ(meta_of(o).owners, (std::vector<OwnerRef>{{"Deployment", "checkout", true}}));
  for (std::string_view bad : {"", "[1]", "{\"kind\":\"Pod\"}", "{\"metadata\":{\"name\":\"x\"}}",
                               "{\"kind\":\"Pod\",\"metadata\":{\"name\":7}}", "{\"kind\":"}) {
    error.clear();
    EXPECT_FALSE(parse_object(bad, o, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  // Wrong types inside are left empty, not errors.
  ASSERT_TRUE(parse_object(R"({"kind":"Pod","metadata":{"name":"p","labels":{"a":1,"b":"c"}},
    "spec":{"containers":"none","hostNetwork":"yes"},"status":{"podIPs":[{"ip":5},"x"]}})",
                           o, error));
  EXPECT_EQ(std::get<Pod>(o).meta.labels, (Labels{{"b", "c"}}));
  EXPECT_TRUE(std::get<Pod>(o).ips.empty());
  EXPECT_FALSE(std::get<Pod>(o).host_network);
}

TEST(KubeObjects, Rfc3339Times) {
  EXPECT_EQ(parse_rfc3339_us("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_us("2026-12-02T10:00:00.5Z"), int64_t(1796205600) * 1000000 + 500000);
  EXPECT_EQ(parse_rfc3339_us("2026-12-02T12:00:00+02:00"), int64_t(1796205600) * 1000000);
  EXPECT_EQ(parse_rfc3339_us("2026-12-02T09:30:00.000001-00:30"),
            int64_t(1796205600) * 1000000 + 1);
  for (std::string_view bad : {"", "2026-12-02", "2026-13-02T10:00:00Z", "2026-12-02T10:00:00",
                               "2026-12-02T10:00:00+0200", "2026-12-02T10:00:00Zjunk"})
    EXPECT_EQ(parse_rfc3339_us(bad), 0) << bad;
}

}  // namespace
}  // namespace trawl::kube
