#include "cli/pipeline_options.h"

#include <stdexcept>

#include "kube/cluster_watch.h"
#include "kube/names_file.h"
#include "stages/kube_identity.h"
#include "stages/placement.h"
#include "stages/query_stages.h"

namespace trawl {

void add_pipeline_options(CLI::App& c, PipelineOptions& o) {
  c.add_option("--max-body", o.max_body, "decoded body bytes kept per message")
      ->capture_default_str();
  c.add_option("--proto-descriptors", o.proto_descriptors,
               "FileDescriptorSet (protoc --include_imports --descriptor_set_out) to decode "
               "gRPC messages by name");
  c.add_option("--dissect-mb", o.dissect_mb,
               "memory the dissectors together may hold between packets (bodies, requests "
               "awaiting replies); what it refuses is dropped and counted")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  c.add_option("--max-flows", o.max_flows,
               "connections tracked at once (the least recently active goes first)")
      ->capture_default_str()
      ->check(CLI::Range(16, 1 << 26));
  c.add_option("--max-in-flight", o.max_in_flight,
               "requests awaiting their replies per connection for protocols that pair in "
               "order (HTTP/1, Redis, AMQP); past it the oldest goes out unanswered, counted")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  c.add_option("--names", o.names,
               "Kubernetes names for addresses, as they were at each entry's time: a name "
               "history trawl saved, or what `kubectl get pods,services,endpointslices,nodes,"
               "replicasets,jobs -A -o json` prints; entries get src/dst name, namespace, kind, "
               "workload, labels and services");
  c.add_option("--kubeconfig", o.kubeconfig,
               "Kubernetes names from this cluster's API server (read: its objects as they are "
               "now; capture: watched, kept in the data dir's names.jsonl)");
  c.add_option("--context", o.context, "the kubeconfig's context (default: its current one)");
  c.add_option("--node-name", o.node_name,
               "node.name on every entry: the node that captured it (capture with Kubernetes "
               "names: $NODE_NAME, else this host's name)");
  c.add_option("--cluster-name", o.cluster_name,
               "cluster.name on every entry: the cluster the node belongs to (a hub over "
               "several clusters tells them apart by it)");
  c.add_option("--keep", o.keep,
               "KFL: only the entries it matches are numbered and kept; the others are dropped "
               "before any output (counted as entries.dropped_by_keep), e.g. "
               "'not (http and request.path == \"/healthz\")'");
  c.add_option("--redact", o.redact,
               "a field replaced by \"[REDACTED]\" in every entry before it is written or kept "
               "(repeatable; a KFL selector), e.g. request.headers.authorization or "
               "'request.headers[\"x-api-key\"]'");
}

namespace {

std::shared_ptr<kube::NameHistory> fixed_names(const PipelineOptions& o) {
  if (!o.kubeconfig.empty()) {
    try {
      return kube::list_cluster(kube::load_kubeconfig(o.kubeconfig, o.context),
                                std::chrono::seconds(60));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--kubeconfig: ") + e.what());
    }
  }
  try {
    return kube::load_names(o.names);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("--names: ") + e.what());
  }
}

// With names, a Service call seen before and after its DNAT is one set of
// entries; a first view to a Service's cluster IP waits for its twin.
std::shared_ptr<NatTwins> nat_twins(std::shared_ptr<const kube::NameFeed> feed) {
  auto twins = std::make_shared<NatTwins>();
  twins->is_virtual = [feed](const EntryEndpoint& server, int64_t ts) {
    std::shared_ptr<const kube::AddressBook> book = feed->current();
    const kube::Identity* id = book->lookup(server.ip, server.port, ts);
    return id && id->kind() == "service";
  };
  return twins;
}

// The entry stages, in the order every entry takes them (architecture.md).
// `feed` gets the names the identity stage reads, when it runs.
std::vector<StageSpec> entry_stages(const PipelineOptions& o,
                                    std::shared_ptr<const kube::NameFeed> live_names,
                                    std::shared_ptr<const kube::NameFeed>& feed) {
  std::vector<StageSpec> stages;
  auto add = [&stages](const char* option, auto make) {
    try {
      stages.push_back(make());
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string(option) + ": " + e.what());
    }
  };
  // First: the stages after it may filter by name.
  if (live_names) {
    feed = std::move(live_names);
  } else if (!o.names.empty() || !o.kubeconfig.empty()) {
    feed = std::make_shared<kube::NameFeed>(
        std::make_shared<kube::AddressBook>(fixed_names(o)->take_book()));
  }
  if (feed) stages.push_back(kube_identity_stage(feed, std::make_shared<DnsNames>()));
  if (!o.node_name.empty() || !o.cluster_name.empty())
    stages.push_back(placement_stage(o.node_name, o.cluster_name));
  if (!o.keep.empty()) add("--keep", [&] { return keep_stage(o.keep); });
  if (!o.redact.empty()) add("--redact", [&] { return redact_stage(o.redact); });
  return stages;
}

}  // namespace

void apply_pipeline_options(const PipelineOptions& o, PipelineSettings& settings,
                            std::unique_ptr<ProtoSchema>& schema,
                            std::shared_ptr<const kube::NameFeed> live_names) {
  settings.dissect.max_body = o.max_body;
  settings.dissect.max_in_flight = o.max_in_flight;
  settings.memory_bytes = o.dissect_mb << 20;
  settings.flows.max_flows = o.max_flows;
  std::shared_ptr<const kube::NameFeed> feed;
  settings.stages = entry_stages(o, std::move(live_names), feed);
  if (feed) settings.nat_twins = nat_twins(feed);
  if (o.proto_descriptors.empty()) return;
  try {
    schema = ProtoSchema::load(o.proto_descriptors);
  } catch (const std::exception& e) {
    throw std::runtime_error("--proto-descriptors " + std::string(e.what()));
  }
  settings.dissect.proto_schema = schema.get();
}

}  // namespace trawl
