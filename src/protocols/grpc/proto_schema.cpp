#include "protocols/grpc/proto_schema.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "entries/json_parse.h"

namespace trawl {

namespace pb = google::protobuf;

struct ProtoSchema::Impl {
  pb::DescriptorPool pool;
  pb::DynamicMessageFactory factory{&pool};
  size_t services = 0;
};

ProtoSchema::ProtoSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProtoSchema::~ProtoSchema() = default;

std::unique_ptr<ProtoSchema> ProtoSchema::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::stringstream bytes;
  bytes << in.rdbuf();
  pb::FileDescriptorSet set;
  if (!set.ParseFromString(bytes.str()))
    throw std::runtime_error(path + ": not a FileDescriptorSet (protoc --descriptor_set_out)");
  auto impl = std::make_unique<Impl>();
  // Files may come in any order: add each once its imports are in.
  std::vector<const pb::FileDescriptorProto*> pending;
  for (const auto& f : set.file()) pending.push_back(&f);
  while (!pending.empty()) {
    size_t before = pending.size();
    for (auto it = pending.begin(); it != pending.end();) {
      bool ready = true;
      for (const auto& dep : (*it)->dependency())
        ready = ready && impl->pool.FindFileByName(dep) != nullptr;
      if (!ready) {
        ++it;
        continue;
      }
      const pb::FileDescriptor* file = impl->pool.BuildFile(**it);
      if (!file) throw std::runtime_error(path + ": invalid file " + (*it)->name());
      impl->services += size_t(file->service_count());
      it = pending.erase(it);
    }
    if (pending.size() == before)
      throw std::runtime_error(path + ": " + pending.front()->name() +
                               " imports a file the set lacks (use protoc --include_imports)");
  }
  return std::unique_ptr<ProtoSchema>(new ProtoSchema(std::move(impl)));
}

size_t ProtoSchema::services() const {
  return impl_->services;
}

bool ProtoSchema::decode(std::string_view service, std::string_view rpc, bool request,
                         Bytes message, Json& out) const {
  const pb::ServiceDescriptor* s = impl_->pool.FindServiceByName(std::string(service));
  const pb::MethodDescriptor* m = s ? s->FindMethodByName(std::string(rpc)) : nullptr;
  if (!m) return false;
  const pb::Descriptor* type = request ? m->input_type() : m->output_type();
  std::unique_ptr<pb::Message> msg(impl_->factory.GetPrototype(type)->New());
  if (!msg->ParseFromArray(message.data(), int(message.size()))) return false;
  std::string text;
  if (!pb::util::MessageToJsonString(*msg, &text).ok()) return false;
  return parse_json(text, out);
}

}  // namespace trawl
