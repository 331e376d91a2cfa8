#include "protocols/grpc/protobuf.h"

#include <gtest/gtest.h>

#include "tests/support.h"

namespace trawl {
namespace {

using testing::bytes;

std::string decoded(std::string_view wire) {
  Json out;
  return decode_protobuf(bytes(wire), out) ? out.dump() : "invalid";
}

TEST(Protobuf, ScalarsStringsNestedAndRepeated) {
  // 1: varint 150, 2: "testing", 3: {1: 1, 2: "x"}, 4: 7 and 8 (repeated),
  // 5: fixed32 1, 6: fixed64 2
  std::string wire(
      "\x08\x96\x01\x12\x07testing\x1a\x05\x08\x01\x12\x01x\x20\x07\x20\x08"
      "\x2d\x01\x00\x00\x00\x31\x02\x00\x00\x00\x00\x00\x00\x00",
      37);
  EXPECT_EQ(decoded(wire), R"({"1":150,"2":"testing","3":{"1":1,"2":"x"},"4":[7,8],"5":1,"6":2})");
}

TEST(Protobuf, PrintableBytesThatParseAsAMessageAreOne) {
  // etcd's WatchRequest{create_request{key: "trawl/w"}}: every byte is printable.
  EXPECT_EQ(decoded(std::string("\x0a\x09\x0a\x07trawl/w", 11)), R"({"1":{"1":"trawl/w"}})");
  EXPECT_EQ(decoded(std::string("\x0a\x05\nline", 7)), R"({"1":"\nline"})");
}

TEST(Protobuf, BinaryBytesAndHugeVarints) {
  std::string wire("\x0a\x03\xff\xfe\x00\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 16);
  EXPECT_EQ(decoded(wire), R"({"1":{"bytesBase64":"//4A"},"2":"18446744073709551615"})");
}

TEST(Protobuf, MalformedInputIsRefused) {
  EXPECT_EQ(decoded(std::string("\x08", 1)), "invalid");        // varint cut
  EXPECT_EQ(decoded(std::string("\x12\x05" "ab", 4)), "invalid");  // length past the end
  EXPECT_EQ(decoded(std::string("\x00\x01", 2)), "invalid");    // field 0
  EXPECT_EQ(decoded(std::string("\x0b\x0c", 2)), "invalid");    // groups
  EXPECT_EQ(decoded(""), "{}");
}

TEST(Protobuf, ManyDistinctFieldsStayLinear) {
  std::string wire;
  for (uint32_t field = 1; field <= 20000; ++field) {
    uint64_t key = uint64_t(field) << 3;
    while (key >= 0x80) {
      wire += char(0x80 | (key & 0x7F));
      key >>= 7;
    }
    wire += char(key);
    wire += char(1);
  }
  wire += std::string("\x08\x02", 2);  // field 1 again becomes a list
  Json out;
  ASSERT_TRUE(decode_protobuf(bytes(wire), out));
  EXPECT_EQ(out.size(), 20000u);
  EXPECT_EQ(out.find("1")->dump(), "[1,2]");
}

}  // namespace
}  // namespace trawl
