#include "cli/dissect_options.h"

#include <stdexcept>

namespace trawl {

void add_dissect_options(CLI::App& c, DissectOptions& o) {
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
}

void apply_dissect_options(const DissectOptions& o, PipelineSettings& settings,
                           std::unique_ptr<ProtoSchema>& schema) {
  settings.dissect.max_body = o.max_body;
  settings.dissect.max_in_flight = o.max_in_flight;
  settings.memory_bytes = o.dissect_mb << 20;
  settings.flows.max_flows = o.max_flows;
  if (o.proto_descriptors.empty()) return;
  try {
    schema = ProtoSchema::load(o.proto_descriptors);
  } catch (const std::exception& e) {
    throw std::runtime_error("--proto-descriptors " + std::string(e.what()));
  }
  settings.dissect.proto_schema = schema.get();
}

}  // namespace trawl
