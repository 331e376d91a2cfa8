// The dissector settings every command that dissects accepts: `read` (also with
// --serve) and `capture`, declared once so they cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "pipeline/pipeline.h"
#include "protocols/grpc/proto_schema.h"

namespace trawl {

struct DissectOptions {
  size_t max_body = 64 * 1024;
  std::string proto_descriptors;
  uint64_t dissect_mb = 64;
  size_t max_flows = 65536;
  size_t max_in_flight = 65536;
};

void add_dissect_options(CLI::App& command, DissectOptions& o);

// Fills `settings` from the options. A descriptor set is loaded into `schema`,
// which the caller keeps as long as the settings are used; a file that cannot
// be loaded throws, with the option's name in the message.
void apply_dissect_options(const DissectOptions& o, PipelineSettings& settings,
                           std::unique_ptr<ProtoSchema>& schema);

}  // namespace trawl
