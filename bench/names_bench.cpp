// The identity budget (issue 16): a cluster of 10,000 pods of 500 workloads,
// 5,000 services with their endpoint slices, and pods deleted and recreated
// with new names on the same IPs until 100,000 events were applied. Prints the
// history's heap (mallinfo2 before and after), the time to apply the events,
// to copy the address book (what each live update publishes) and to look up.
// Usage: trawl_names_bench
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "kube/identity.h"

using namespace trawl::kube;

namespace {

std::string ip_of(int i) {
  return "10." + std::to_string(64 + i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
         std::to_string(i % 256);
}

Object pod(int n, int slot, int64_t at_us) {
  Pod p;
  int workload = slot % 500;
  p.meta.name = "w" + std::to_string(workload) + "-5d9f8c-" + std::to_string(n);
  p.meta.namespace_ = "ns" + std::to_string(workload % 20);
  p.meta.uid = "3f2a9c1e-0000-4000-8000-" + std::to_string(100000000000 + n);
  p.meta.resource_version = std::to_string(n);
  p.meta.labels = {{"app", "w" + std::to_string(workload)},
                   {"pod-template-hash", "5d9f8c"},
                   {"tier", workload % 2 ? "back" : "front"}};
  p.meta.owners = {{"ReplicaSet", "w" + std::to_string(workload) + "-5d9f8c", true}};
  p.meta.created_us = at_us;
  p.node = "node-" + std::to_string(slot % 50);
  p.phase = "Running";
  p.ips = {ip_of(slot)};
  p.host_ip = "192.168.0." + std::to_string(slot % 50);
  p.container_ports = {{"http", "TCP", 8080}};
  return p;
}

Object service(int i) {
  Service s;
  s.meta.name = "svc" + std::to_string(i);
  s.meta.namespace_ = "ns" + std::to_string(i % 500 % 20);
  s.meta.labels = {{"app", "w" + std::to_string(i % 500)}};
  s.type = "ClusterIP";
  s.cluster_ips = {"172.20." + std::to_string(i / 256) + "." + std::to_string(i % 256)};
  s.selector = {{"app", "w" + std::to_string(i % 500)}};
  s.ports = {{"http", "TCP", 80}};
  return s;
}

Object slice(int i) {
  EndpointSlice s;
  s.meta.name = "svc" + std::to_string(i) + "-x";
  s.meta.namespace_ = "ns" + std::to_string(i % 500 % 20);
  s.service = "svc" + std::to_string(i);
  s.ports = {{"http", "TCP", 8080}};
  for (int slot = i % 500; slot < 10000; slot += 500)  // the workload's pods (first names)
    if (slot % 5 == i / 500 % 5)
      s.endpoints.push_back({{ip_of(slot)},
                             std::get<Pod>(pod(slot, slot, 0)).meta.name,
                             "node-" + std::to_string(slot % 50),
                             true});
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main() {
  size_t before = mallinfo2().uordblks;
  auto start = std::chrono::steady_clock::now();
  NameHistory h;
  int64_t t = int64_t(1767225600) * 1000000;
  int events = 0;
  for (int i = 0; i < 500; ++i, ++events) {
    Other rs{"ReplicaSet", {}};
    rs.meta.name = "w" + std::to_string(i) + "-5d9f8c";
    rs.meta.namespace_ = "ns" + std::to_string(i % 20);
    rs.meta.owners = {{"Deployment", "w" + std::to_string(i), true}};
    h.apply(rs, false, t);
  }
  for (int i = 0; i < 10000; ++i, ++events) h.apply(pod(i, i, t), false, t);
  for (int i = 0; i < 5000; ++i, events += 2) {
    h.apply(service(i), false, t);
    h.apply(slice(i), false, t);
  }
  // Churn: a pod deleted, another made with its IP.
  for (int n = 10000; events < 100000; ++n, events += 2) {
    int slot = n % 10000;
    t += 1000000;
    h.apply(pod(n - 10000, slot, t), true, t);
    h.apply(pod(n, slot, t), false, t);
  }
  double applied_s = seconds_since(start);
  size_t heap = mallinfo2().uordblks - before;
  double copy_s, lookup_s;
  size_t found = 0;
  {
    start = std::chrono::steady_clock::now();
    AddressBook copy = h.book();  // what a publish does; its spans share the identities
    copy_s = seconds_since(start);
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000000; ++i)
      found += copy.lookup(ip_of(i % 10000), 8080, t - int64_t(i % 1000) * 1000000) != nullptr;
    lookup_s = seconds_since(start);
  }
  size_t addresses = h.addresses(), spans = h.spans();
  AddressBook book_only = h.take_book();
  size_t before_objects_go = mallinfo2().uordblks;
  {
    NameHistory gone = std::move(h);  // the objects go; the book (and what it shows) stays
  }
  size_t book = heap - (before_objects_go - mallinfo2().uordblks);
  std::printf(
      "events %d, addresses %zu, spans %zu\n"
      "heap: whole history %.1f MiB, of which the address book %.1f MiB\n"
      "applied in %.2f s\naddress book copied in %.1f ms\n1M lookups in %.2f s (%zu named)\n",
      events, addresses, spans, double(heap) / (1 << 20), double(book) / (1 << 20), applied_s,
      copy_s * 1000, lookup_s, found);
}
