// gRPC messages decoded by name: the services and message types of a
// FileDescriptorSet (`protoc --include_imports --descriptor_set_out=FILE`),
// printed in the proto3 JSON mapping (libprotobuf).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "entries/json.h"

namespace trawl {

class ProtoSchema {
 public:
  // Throws std::runtime_error saying what is wrong with the file.
  static std::unique_ptr<ProtoSchema> load(const std::string& path);
  ~ProtoSchema();

  // A message of `service`/`rpc`'s input (request) or output type. False when
  // the method is not in the schema or the bytes are not such a message.
  bool decode(std::string_view service, std::string_view rpc, bool request, Bytes message,
              Json& out) const;
  size_t services() const;

 private:
  struct Impl;
  explicit ProtoSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl
