// The pipeline settings every command that dissects accepts, `read` (also with
// --serve) and `capture`, declared once so they cannot drift apart: the
// dissectors' and the entry stages'.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "kube/name_feed.h"
#include "pipeline/pipeline.h"
#include "protocols/grpc/proto_schema.h"

namespace trawl {

struct PipelineOptions {
  size_t max_body = 64 * 1024;
  std::string proto_descriptors;
  uint64_t dissect_mb = 64;
  size_t max_flows = 65536;
  size_t max_in_flight = 65536;
  std::string names;                // a name history or kubectl's objects: Kubernetes identity
  std::string kubeconfig, context;  // names from the cluster's API (read: listed once)
  std::string node_name;            // node.name on every entry
  std::string cluster_name;         // cluster.name on every entry
  std::string keep;                 // KFL: only these entries are numbered and kept
  std::vector<std::string> redact;  // fields replaced by "[REDACTED]" before they are kept
};

void add_pipeline_options(CLI::App& command, PipelineOptions& o);

// Fills `settings` from the options, the entry stages in their order. A
// descriptor set is loaded into `schema`, which the caller keeps as long as the
// settings are used. A file that cannot be loaded or a query that does not
// compile throws, with the option's name in the message. `live_names`, when
// given, is what the identity stage reads (a capture watching its cluster);
// else --names or --kubeconfig give fixed names.
void apply_pipeline_options(const PipelineOptions& o, PipelineSettings& settings,
                            std::unique_ptr<ProtoSchema>& schema,
                            std::shared_ptr<const kube::NameFeed> live_names = nullptr);

}  // namespace trawl
