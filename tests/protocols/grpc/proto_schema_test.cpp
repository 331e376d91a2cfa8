#include "protocols/grpc/proto_schema.h"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "protocols/grpc/grpc.h"
#include "tests/support.h"

namespace trawl {
namespace {

namespace pb = google::protobuf;

// shop.proto: message Item { string name = 1; int32 qty = 2; repeated string tags = 3; }
//             service Cart { rpc Add(Item) returns (Item); }
std::string write_descriptor_set() {
  pb::FileDescriptorSet set;
  pb::FileDescriptorProto* file = set.add_file();
  file->set_name("shop.proto");
  file->set_package("shop");
  file->set_syntax("proto3");
  pb::DescriptorProto* item = file->add_message_type();
  item->set_name("Item");
  auto field = [&](const char* name, int number, pb::FieldDescriptorProto::Type type,
                   bool repeated) {
    pb::FieldDescriptorProto* f = item->add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_type(type);
    f->set_label(repeated ? pb::FieldDescriptorProto::LABEL_REPEATED
                          : pb::FieldDescriptorProto::LABEL_OPTIONAL);
  };
  field("name", 1, pb::FieldDescriptorProto::TYPE_STRING, false);
  field("qty", 2, pb::FieldDescriptorProto::TYPE_INT32, false);
  field("tags", 3, pb::FieldDescriptorProto::TYPE_STRING, true);
  pb::ServiceDescriptorProto* cart = file->add_service();
  cart->set_name("Cart");
  pb::MethodDescriptorProto* add = cart->add_method();
  add->set_name("Add");
  add->set_input_type(".shop.Item");
  add->set_output_type(".shop.Item");
  std::string path = ::testing::TempDir() + "/shop.pb";
  std::ofstream(path, std::ios::binary) << set.SerializeAsString();
  return path;
}

TEST(ProtoSchema, DecodesMessagesOfItsMethodsByName) {
  auto schema = ProtoSchema::load(write_descriptor_set());
  EXPECT_EQ(schema->services(), 1u);
  std::string wire(
      "\x0a\x03"
      "abc\x10\x05\x1a\x01x\x1a\x01y",
      13);
  Json out;
  ASSERT_TRUE(schema->decode("shop.Cart", "Add", true, testing::bytes(wire), out));
  EXPECT_EQ(out.dump(), R"({"name":"abc","qty":5,"tags":["x","y"]})");
  EXPECT_FALSE(schema->decode("shop.Cart", "Remove", true, testing::bytes(wire), out));
  EXPECT_FALSE(schema->decode("shop.Cart", "Add", true,
                              testing::bytes("\x0a\x09"
                                             "ab"),
                              out));
}

TEST(ProtoSchema, GrpcEntriesUseTheSchemaAndFallBackWithout) {
  auto schema = ProtoSchema::load(write_descriptor_set());
  std::string framed = std::string("\0\0\0\0\x05", 5) + std::string(
                                                            "\x0a\x03"
                                                            "abc",
                                                            5);
  Entry known;
  known.response.emplace(Json::object());
  set_grpc_fields(known, "/shop.Cart/Add", GrpcSide{framed, framed.size(), false, ""}, GrpcSide{},
                  {}, 1024, schema.get());
  EXPECT_EQ(known.request.find("messages")->dump(), R"([{"name":"abc"}])");
  Entry other;
  set_grpc_fields(other, "/other.Svc/Call", GrpcSide{framed, framed.size(), false, ""}, GrpcSide{},
                  {}, 1024, schema.get());
  EXPECT_EQ(other.request.find("messages")->dump(), R"([{"1":"abc"}])");
}

TEST(ProtoSchema, BadFilesAreClearErrors) {
  EXPECT_THROW(ProtoSchema::load("/nonexistent.pb"), std::runtime_error);
  std::string path = ::testing::TempDir() + "/garbage.pb";
  std::ofstream(path) << "\xff\xff not a descriptor set";
  try {
    ProtoSchema::load(path);
    FAIL() << "garbage accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a FileDescriptorSet"), std::string::npos);
  }
}

}  // namespace
}  // namespace trawl
