#include "kube/names_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "stages/kube_identity.h"

namespace trawl::kube {
namespace {

struct TempFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("trawl-names-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  explicit TempFile(const std::string& text) { std::ofstream(path) << text; }
  ~TempFile() { std::filesystem::remove(path); }
  static inline int counter = 0;
};

constexpr int64_t kJan1 = int64_t(1767225600) * 1000000;  // 2026-01-01T00:00:00Z

// What kubectl get pods,endpointslices -A -o json prints: the pod before the
// slice that names it, both seen as the file was written.
constexpr std::string_view kKubectlList = R"({"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"shop",
  "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"web"},
  "ownerReferences":[{"kind":"StatefulSet","name":"web","controller":true}]},
  "status":{"phase":"Running","podIP":"10.77.0.1"}},
 {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-x",
  "namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"ports":[{"port":80}],
  "endpoints":[{"addresses":["10.77.0.1"],"targetRef":{"kind":"Pod","name":"web-0"}}]}]})";

TEST(KubeNamesFile, AKubectlListOwnsItsAddressesSinceCreation) {
  TempFile f{std::string(kKubectlList)};
  auto h = load_names(f.path.string());
  EXPECT_EQ(h->lookup("10.77.0.1", 80, kJan1 - 1), nullptr);
  const Identity* id = h->lookup("10.77.0.1", 80, kJan1 + 1);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "web-0");
  EXPECT_EQ(id->services_for(80), std::vector<std::string>{"web"});  // the slice came after it
  EXPECT_EQ(h->spans(), 1u);
}

TEST(KubeNamesFile, ATypedListsItemsTakeItsKind) {
  TempFile f{R"({"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"9"},
    "items":[{"metadata":{"name":"db","namespace":"shop","creationTimestamp":"2026-01-01T00:00:00Z"},
              "spec":{"clusterIP":"10.96.0.7"}}]})"};
  auto h = load_names(f.path.string());
  const Identity* id = h->lookup("10.96.0.7", 5432, kJan1 + 1);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->kind(), "service");
  EXPECT_EQ(id->name, "db");
}

TEST(KubeNamesFile, AHistoryReplaysItsEventsAtTheirTimes) {
  TempFile f{
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.1.0.5"}},"seenAt":"2026-01-01T00:00:10Z"})"
      "\n\n"
      R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.1.0.5"}},"seenAt":"2026-01-01T00:00:20Z"})"
      "\n"
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"b","namespace":"n"},"status":{"podIP":"10.1.0.5"}},"seenAt":"2026-01-01T00:00:30.5Z"})"
      "\n"};
  auto h = load_names(f.path.string());
  auto name = [&](int64_t s) {
    const Identity* id = h->lookup("10.1.0.5", 80, kJan1 + s * 1000000);
    return id ? id->name : "-";
  };
  EXPECT_EQ(name(5), "-");
  EXPECT_EQ(name(15), "a");
  EXPECT_EQ(name(25), "-");
  EXPECT_EQ(name(30), "-");
  EXPECT_EQ(name(31), "b");
}

TEST(KubeNamesFile, WhatCannotBeReadSaysWhereAndWhy) {
  auto error_of = [](const std::string& text) {
    TempFile f{text};
    try {
      load_names(f.path.string());
    } catch (const std::runtime_error& e) {
      return std::string(e.what()).substr(f.path.string().size());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\"}]}"),
            ": item 0: an object without kind or metadata.name");
  EXPECT_EQ(error_of("\n{\"type\":\"ADDED\"}\n"), ":2: a watch event without an object");
  EXPECT_EQ(error_of("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}"),
            ":1: a name history holds ADDED, MODIFIED and DELETED events");
  EXPECT_EQ(
      error_of("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}}"),
      ":1: no seenAt");
  EXPECT_EQ(
      error_of("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}},"
               "\"seenAt\":\"yesterday\"}"),
      ":1: seenAt is not an RFC 3339 time");
  EXPECT_EQ(error_of("not json"), ": neither a list of objects nor a name history");
  EXPECT_THROW(load_names("/nonexistent/names.json"), std::runtime_error);
}

TEST(KubeIdentityStage, BothEndsNamedWithTheirWorkloadLabelsAndServices) {
  TempFile f{std::string(kKubectlList)};
  auto book = std::make_shared<AddressBook>(load_names(f.path.string())->take_book());
  StageSpec spec = kube_identity_stage(std::make_shared<NameFeed>(std::move(book)));
  auto stage = spec.make();
  Entry e;
  e.src = {"10.9.9.9", 40000};
  e.dst = {"10.77.0.1", 80};
  e.timestamp_us = kJan1 + 5;
  ASSERT_TRUE(stage->process(e));
  std::string out;
  write_entry_json(out, e);
  EXPECT_NE(out.find(R"("dst":{"ip":"10.77.0.1","port":80,"name":"web-0","namespace":"shop",)"
                     R"("kind":"pod","workload":{"kind":"StatefulSet","name":"web"},)"
                     R"("labels":{"app":"web"},"services":["web"]})"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("src":{"ip":"10.9.9.9","port":40000})"), std::string::npos) << out;
  Entry before = e;
  before.context.clear();
  before.timestamp_us = kJan1 - 5;  // before the pod existed
  ASSERT_TRUE(stage->process(before));
  EXPECT_TRUE(before.context.empty());
}

TEST(KubeIdentityStage, AnAddressOutsideTheClusterIsExternalAndANewBookIsTaken) {
  auto feed = std::make_shared<NameFeed>();
  auto stage = kube_identity_stage(feed).make();
  Entry e;
  e.src = {"10.244.1.5", 40000};
  e.dst = {"1.1.1.1", 443};
  ASSERT_TRUE(stage->process(e));
  EXPECT_TRUE(e.context.empty());  // nothing known yet
  NameHistory h;
  Node n;
  n.meta.name = "n1";
  n.pod_cidrs = {"10.244.1.0/24"};
  h.apply(n, false, 1);
  feed->publish(std::make_shared<AddressBook>(h.book()));
  ASSERT_TRUE(stage->process(e));
  std::string out;
  write_entry_json(out, e);
  EXPECT_NE(out.find(R"("dst":{"ip":"1.1.1.1","port":443,"kind":"external"})"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("src":{"ip":"10.244.1.5","port":40000})"), std::string::npos) << out;
}

// The stage remembers answers by address; these must still differ by port.
TEST(KubeIdentityStage, AnswersThatDependOnThePortDoSoEntryAfterEntry) {
  NameHistory h;
  Node node;
  node.meta.name = "n1";
  node.addresses = {"10.77.0.1"};
  h.apply(node, false, 100);
  Pod exporter;
  exporter.meta.name = "node-exporter-abc", exporter.meta.namespace_ = "monitoring";
  exporter.ips = {"10.77.0.1"}, exporter.phase = "Running", exporter.host_network = true;
  exporter.container_ports = {{"metrics", "TCP", 9100}};
  h.apply(exporter, false, 100);
  Pod web;
  web.meta.name = "web-1", web.meta.namespace_ = "shop";
  web.ips = {"10.1.1.7"}, web.phase = "Running";
  h.apply(web, false, 100);
  for (auto [name, port] : {std::pair{"web", 8080}, std::pair{"admin", 9000}}) {
    EndpointSlice slice;
    slice.meta.name = std::string(name) + "-x", slice.meta.namespace_ = "shop";
    slice.service = name;
    slice.ports = {{"", "TCP", port}};
    slice.endpoints = {{{"10.1.1.7"}, "web-1", "n1", true}};
    h.apply(slice, false, 100);
  }
  h.apply(exporter, true, 500);
  auto stage =
      kube_identity_stage(std::make_shared<NameFeed>(std::make_shared<AddressBook>(h.book())))
          .make();
  auto dst_of = [&](uint16_t port, int64_t ts) {
    Entry e;
    e.src = {"10.1.1.7", 43210};
    e.dst = {port == 22 || port == 9100 ? "10.77.0.1" : "10.1.1.7", port};
    e.timestamp_us = ts;
    EXPECT_TRUE(stage->process(e));
    std::string out;
    write_entry_json(out, e);
    auto at = out.find(R"("dst":)");
    return out.substr(at, out.find('}', at) - at);
  };
  for (int round = 0; round < 2; ++round) {
    EXPECT_NE(dst_of(9100, 200).find(R"("name":"node-exporter-abc")"), std::string::npos);
    EXPECT_NE(dst_of(22, 200).find(R"("name":"n1","kind":"node")"), std::string::npos);
    EXPECT_NE(dst_of(9100, 600).find(R"("name":"n1")"), std::string::npos);  // the pod is gone
    EXPECT_NE(dst_of(8080, 200).find(R"("services":["web"])"), std::string::npos);
    EXPECT_NE(dst_of(9000, 200).find(R"("services":["admin"])"), std::string::npos);
    EXPECT_NE(dst_of(43210, 200).find(R"("services":["admin","web"])"), std::string::npos);
  }
  Entry e;  // the client's ephemeral port: every service of the pod
  e.src = {"10.1.1.7", 43210};
  e.dst = {"10.1.1.7", 8080};
  e.timestamp_us = 200;
  ASSERT_TRUE(stage->process(e));
  std::string out;
  write_entry_json(out, e);
  EXPECT_NE(out.find(R"("src":{"ip":"10.1.1.7","port":43210,"name":"web-1","namespace":"shop",)"
                     R"("kind":"pod","services":["admin","web"]})"),
            std::string::npos)
      << out;
}

// The memo keeps up to four listed ports of an address, and rules ports out by
// a bit per port % 64: a port sharing a listed port's bit, and an address whose
// services list more ports than it keeps, must still be answered by port.
TEST(KubeIdentityStage, ManyListedPortsAndPortsSharingABitAreAnsweredByPort) {
  for (int services : {2, 6}) {
    NameHistory h;
    Pod web;
    web.meta.name = "web-1", web.meta.namespace_ = "shop";
    web.ips = {"10.1.1.7"}, web.phase = "Running";
    h.apply(web, false, 100);
    std::string all;
    for (int i = 0; i < services; ++i) {
      EndpointSlice slice;
      slice.meta.name = "s" + std::to_string(i) + "-x", slice.meta.namespace_ = "shop";
      slice.service = "s" + std::to_string(i);
      slice.ports = {{"", "TCP", 8080 + i}};
      slice.endpoints = {{{"10.1.1.7"}, "web-1", "n1", true}};
      h.apply(slice, false, 100);
      all += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
    }
    auto stage =
        kube_identity_stage(std::make_shared<NameFeed>(std::make_shared<AddressBook>(h.book())))
            .make();
    auto services_at = [&](uint16_t port) {
      Entry e;
      e.src = {"10.9.9.9", 40000};
      e.dst = {"10.1.1.7", port};
      e.timestamp_us = 200;
      EXPECT_TRUE(stage->process(e));
      std::string out;
      write_entry_json(out, e);
      auto at = out.find(R"("services":)", out.find(R"("dst":)"));
      return at == std::string::npos ? out : out.substr(at, out.find(']', at) + 1 - at);
    };
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE(services);
      EXPECT_EQ(services_at(8081), R"("services":["s1"])");
      EXPECT_EQ(services_at(8080 + 64), R"("services":[)" + all + "]");  // 8080's bit
      EXPECT_EQ(services_at(8080), R"("services":["s0"])");
      EXPECT_EQ(services_at(8081 + 128), R"("services":[)" + all + "]");
      if (services > 4) {
        EXPECT_EQ(services_at(8085), R"("services":["s5"])");
      }
    }
  }
}

}  // namespace
}  // namespace trawl::kube
