#include "kube/identity.h"

#include <gtest/gtest.h>

namespace trawl::kube {
namespace {

Pod pod(std::string name, std::string ip, int64_t created_us = 0, Labels labels = {},
        std::vector<OwnerRef> owners = {}) {
  Pod p;
  p.meta.name = std::move(name);
  p.meta.namespace_ = "shop";
  p.meta.created_us = created_us;
  p.meta.labels = std::move(labels);
  p.meta.owners = std::move(owners);
  p.ips = {std::move(ip)};
  p.phase = "Running";
  return p;
}

Other owned(std::string kind, std::string name, OwnerRef owner) {
  Other o{std::move(kind), {}};
  o.meta.name = std::move(name);
  o.meta.namespace_ = "shop";
  o.meta.owners = {std::move(owner)};
  return o;
}

std::string name_at(const NameHistory& h, std::string_view ip, uint16_t port, int64_t ts) {
  const Identity* id = h.lookup(ip, port, ts);
  return id ? id->kind() + ":" + id->name : "-";
}

TEST(KubeNameHistory, AReusedPodAddressNamesEachPodInItsOwnTime) {
  NameHistory h;
  h.apply(pod("web-1", "10.1.1.7", 50), false, 100);  // listed at 100, created at 50
  h.apply(pod("web-1", "10.1.1.7", 50), true, 200);
  h.apply(pod("web-2", "10.1.1.7", 290), false, 300);  // seen after its creation: from then
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 40), "-");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 60), "pod:web-1");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 199), "pod:web-1");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 250), "-");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 295), "pod:web-2");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 1'000'000), "pod:web-2");
  EXPECT_EQ(name_at(h, "10.1.1.8", 80, 150), "-");
  // A pod that completed gives its address back.
  Pod done = pod("web-2", "10.1.1.7", 290);
  done.phase = "Succeeded";
  h.apply(done, false, 400);
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 399), "pod:web-2");
  EXPECT_EQ(name_at(h, "10.1.1.7", 80, 401), "-");
  EXPECT_EQ(h.spans(), 2u);
}

TEST(KubeNameHistory, AChangedPodKeepsWhatItWasOnEarlierEntries) {
  NameHistory h;
  h.apply(pod("web-1", "10.1.1.7", 0, {{"app", "web"}}), false, 100);
  h.apply(pod("web-1", "10.1.1.7", 0, {{"app", "web"}}), false, 150);  // no change: no new span
  h.apply(pod("web-1", "10.1.1.7", 0, {{"app", "web"}, {"track", "canary"}}), false, 200);
  EXPECT_EQ(h.spans(), 2u);
  EXPECT_EQ(h.lookup("10.1.1.7", 80, 150)->labels(), (Labels{{"app", "web"}}));
  EXPECT_EQ(h.lookup("10.1.1.7", 80, 250)->labels(), (Labels{{"app", "web"}, {"track", "canary"}}));
}

TEST(KubeNameHistory, WorkloadsThroughReplicaSetsAndJobs) {
  NameHistory h;
  // A ReplicaSet not known: the Deployment is its name without the template hash.
  h.apply(pod("checkout-7d9c8-x2x9q", "10.1.1.2", 0, {{"pod-template-hash", "7d9c8"}},
              {{"ReplicaSet", "checkout-7d9c8", true}}),
          false, 100);
  const Identity* id = h.lookup("10.1.1.2", 80, 150);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->workload_kind(), "Deployment");
  EXPECT_EQ(id->workload_name(), "checkout");
  // Once the ReplicaSet is known, its owner decides.
  h.apply(owned("ReplicaSet", "checkout-7d9c8", {"Deployment", "checkout-v2", true}), false, 200);
  EXPECT_EQ(h.lookup("10.1.1.2", 80, 250)->workload_name(), "checkout-v2");
  EXPECT_EQ(h.lookup("10.1.1.2", 80, 150)->workload_name(), "checkout");
  // A Job's pod belongs to the CronJob; a StatefulSet's to it; a bare pod to none.
  h.apply(owned("Job", "backup-28000", {"CronJob", "backup", true}), false, 300);
  h.apply(pod("backup-28000-abcde", "10.1.1.3", 0, {}, {{"Job", "backup-28000", true}}), false,
          300);
  h.apply(pod("db-0", "10.1.1.4", 0, {}, {{"StatefulSet", "db", true}}), false, 300);
  h.apply(pod("debug", "10.1.1.5"), false, 300);
  EXPECT_EQ(h.lookup("10.1.1.3", 80, 350)->workload_kind() + "/" +
                h.lookup("10.1.1.3", 80, 350)->workload_name(),
            "CronJob/backup");
  EXPECT_EQ(h.lookup("10.1.1.4", 80, 350)->workload_kind(), "StatefulSet");
  EXPECT_EQ(h.lookup("10.1.1.5", 80, 350)->workload_kind(), "");
}

TEST(KubeNameHistory, ServicesNodesAndHostNetworkPods) {
  NameHistory h;
  Service svc;
  svc.meta = {"web", "shop", "", "", {{"tier", "front"}}, {}, 0, 0};
  svc.cluster_ips = {"10.96.0.9"};
  h.apply(svc, false, 100);
  h.apply(pod("web-1", "10.1.1.7"), false, 100);
  h.apply(pod("web-2", "10.1.1.8"), false, 100);
  EndpointSlice slice;
  slice.meta = {"web-abc", "shop", "", "", {}, {}, 0, 0};
  slice.service = "web";
  slice.ports = {{"http", "TCP", 8080}};
  slice.endpoints = {{{"10.1.1.7"}, "web-1", "n1", true}};
  h.apply(slice, false, 200);
  EndpointSlice admin = slice;
  admin.meta.name = "admin-xyz";
  admin.service = "admin";
  admin.ports = {{"", "TCP", 9000}};
  h.apply(admin, false, 200);
  const Identity* service = h.lookup("10.96.0.9", 80, 150);
  ASSERT_TRUE(service);
  EXPECT_EQ(service->kind(), "service");
  EXPECT_EQ(service->services_for(80), std::vector<std::string>{"web"});
  EXPECT_EQ(service->labels(), (Labels{{"tier", "front"}}));
  const Identity* web1 = h.lookup("10.1.1.7", 8080, 250);
  EXPECT_EQ(web1->services_for(8080), (std::vector<std::string>{"web"}));
  EXPECT_EQ(web1->services_for(9000), (std::vector<std::string>{"admin"}));
  EXPECT_EQ(web1->services_for(43210), (std::vector<std::string>{"admin", "web"}));
  EXPECT_FALSE(h.lookup("10.1.1.7", 8080, 150)->has_services());  // before the slices
  EXPECT_FALSE(h.lookup("10.1.1.8", 8080, 250)->has_services());
  h.apply(slice, true, 300);
  EXPECT_EQ(h.lookup("10.1.1.7", 8080, 350)->services_for(8080),
            (std::vector<std::string>{"admin"}));

  Node node;
  node.meta.name = "n1";
  node.addresses = {"10.77.0.1"};
  h.apply(node, false, 100);
  Pod exporter =
      pod("node-exporter-abc", "10.77.0.1", 0, {}, {{"DaemonSet", "node-exporter", true}});
  exporter.meta.namespace_ = "monitoring";
  exporter.host_network = true;
  exporter.container_ports = {{"metrics", "TCP", 9100}};
  h.apply(exporter, false, 100);
  EXPECT_EQ(name_at(h, "10.77.0.1", 9100, 150), "pod:node-exporter-abc");
  EXPECT_EQ(name_at(h, "10.77.0.1", 22, 150), "node:n1");
  EXPECT_EQ(h.lookup("10.77.0.1", 9100, 150)->namespace_(), "monitoring");
  h.apply(exporter, true, 500);
  EXPECT_EQ(name_at(h, "10.77.0.1", 9100, 600), "node:n1");
  EXPECT_EQ(name_at(h, "10.77.0.1", 9100, 450), "pod:node-exporter-abc");
}

}  // namespace
}  // namespace trawl::kube

namespace trawl::kube {
namespace {

TEST(KubeAddressBook, OutsideEveryNodesPodRangeIsExternal) {
  NameHistory h;
  EXPECT_FALSE(h.book().is_external("8.8.8.8"));  // no range known: nothing can be said
  Node n;
  n.meta.name = "n1";
  n.addresses = {"192.168.1.10"};
  n.pod_cidrs = {"10.244.1.0/24", "fd00:10:244:1::/64"};
  h.apply(n, false, 1);
  const AddressBook& b = h.book();
  EXPECT_TRUE(b.is_external("8.8.8.8"));
  EXPECT_TRUE(b.is_external("10.244.2.1"));
  EXPECT_FALSE(b.is_external("10.244.1.77"));  // a pod of n1's not (yet) known
  EXPECT_FALSE(b.is_external("127.0.0.1"));
  EXPECT_FALSE(b.is_external("fd00:10:244:1::5"));
  EXPECT_TRUE(b.is_external("2001:db8::1"));
  EXPECT_FALSE(b.is_external("::1"));
  EXPECT_FALSE(b.is_external("not an address"));
  h.apply(n, true, 2);
  EXPECT_FALSE(h.book().is_external("8.8.8.8"));
}

}  // namespace
}  // namespace trawl::kube
