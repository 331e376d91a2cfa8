#include "capture/pcap_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace trawl {
namespace {

struct TempFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("trawl-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  ~TempFile() { std::filesystem::remove(path); }
  void write(const std::string& s) { std::ofstream(path, std::ios::binary) << s; }
  static inline int counter = 0;
};

std::string le32(uint32_t v) {
  return std::string(reinterpret_cast<char*>(&v), 4);
}
std::string le16(uint16_t v) {
  return std::string(reinterpret_cast<char*>(&v), 2);
}

std::string block(uint32_t type, const std::string& body) {
  std::string padded = body + std::string((4 - body.size() % 4) % 4, '\0');
  uint32_t total = uint32_t(12 + padded.size());
  return le32(type) + le32(total) + padded + le32(total);
}

TEST(PcapSource, ClassicPcapWithNanosecondTimestamps) {
  std::string file = le32(0xA1B23C4D) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) +
                     le32(DLT_RAW) + le32(10) + le32(5000) + le32(3) + le32(3) + "abc";
  TempFile t;
  t.write(file);
  PcapSource src(t.path.string());
  EXPECT_EQ(src.link_type(), DLT_RAW);
  EXPECT_TRUE(src.regular_file());
  Frame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.timestamp_us, 10'000'005);
  EXPECT_EQ(std::string(as_text(f.data)), "abc");
  EXPECT_FALSE(src.next(f));
  EXPECT_TRUE(src.error().empty());
}

TEST(PcapSource, PcapngWithInterfacesOfDifferentLinkTypesAndSnaplens) {
  std::string shb =
      block(0x0A0D0D0A, le32(0x1A2B3C4D) + le16(1) + le16(0) + le32(0xFFFFFFFF) + le32(0xFFFFFFFF));
  // Interface 0: Ethernet, snaplen 65535, microseconds. Interface 1: raw IP,
  // snaplen 8192, nanoseconds (if_tsresol = 9).
  std::string idb0 = block(1, le16(DLT_EN10MB) + le16(0) + le32(65535));
  std::string idb1 = block(1, le16(101) + le16(0) + le32(8192) + le16(9) + le16(1) + "\x09" +
                                  std::string(3, '\0') + le16(0) + le16(0));
  auto epb = [](uint32_t iface, uint64_t ts, const std::string& data) {
    return block(6, le32(iface) + le32(uint32_t(ts >> 32)) + le32(uint32_t(ts)) +
                        le32(uint32_t(data.size())) + le32(uint32_t(data.size())) + data);
  };
  TempFile t;
  t.write(shb + idb0 + idb1 + epb(0, 2'000'000, "eth") + epb(1, 3'000'000'000ull, "rawip") +
          block(5, "statistics are skipped"));
  PcapSource src(t.path.string());
  EXPECT_EQ(src.link_type(), DLT_EN10MB);
  Frame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.link_type, DLT_EN10MB);
  EXPECT_EQ(f.timestamp_us, 2'000'000);
  EXPECT_EQ(std::string(as_text(f.data)), "eth");
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.link_type, DLT_RAW);
  EXPECT_EQ(f.interface, 1u);
  EXPECT_EQ(f.timestamp_us, 3'000'000);
  EXPECT_EQ(std::string(as_text(f.data)), "rawip");
  EXPECT_FALSE(src.next(f));
  EXPECT_TRUE(src.error().empty());
}

TEST(PcapSource, AbsurdPcapngTimestampsAreClamped) {
  // A fuzzer's find: one-second resolution and a 2^64-1 timestamp overflowed
  // the microsecond clock, and later timeout arithmetic with it.
  std::string shb =
      block(0x0A0D0D0A, le32(0x1A2B3C4D) + le16(1) + le16(0) + le32(0xFFFFFFFF) + le32(0xFFFFFFFF));
  std::string idb = block(1, le16(101) + le16(0) + le32(8192) + le16(9) + le16(1) +
                                 std::string(1, '\0') + std::string(3, '\0') + le16(0) + le16(0));
  std::string epb =
      block(6, le32(0) + le32(0xFFFFFFFF) + le32(0xFFFFFFFF) + le32(3) + le32(3) + "abc");
  TempFile t;
  t.write(shb + idb + epb);
  PcapSource src(t.path.string());
  Frame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.timestamp_us, 253402300799LL * 1000000);  // 9999-12-31T23:59:59Z
}

TEST(PcapSource, TruncatedFileEndsWithAnError) {
  std::string file = le32(0xA1B2C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) +
                     le32(DLT_RAW) + le32(1) + le32(0) + le32(100) + le32(100) + "short";
  TempFile t;
  t.write(file);
  PcapSource src(t.path.string());
  Frame f;
  EXPECT_FALSE(src.next(f));
  EXPECT_EQ(src.error(), "truncated record");
}

TEST(PcapSource, RecordsLargerThanOneReadChunkArriveIntact) {
  std::string big(300'000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 7 + i / 251);
  std::string header =
      le32(0xA1B2C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(262144 * 2) + le32(DLT_RAW);
  auto record = [](const std::string& data) {
    return le32(1) + le32(0) + le32(uint32_t(data.size())) + le32(uint32_t(data.size())) + data;
  };
  TempFile t;
  t.write(header + record(big) + record("after") + le32(1) + le32(0) + le32(50'000'000) +
          le32(50'000'000) + "a cut file claiming a 50 MB record");
  PcapSource src(t.path.string());
  Frame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(std::string(as_text(f.data)), big);
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(std::string(as_text(f.data)), "after");
  EXPECT_FALSE(src.next(f));
  EXPECT_EQ(src.error(), "truncated record");
}

// A pipe gives a few bytes at a time: records cut anywhere, and more of them
// than one read chunk holds, still arrive whole and in order.
TEST(PcapSource, APipeFedInSmallPiecesGivesEveryRecordWhole) {
  std::string header =
      le32(0xA1B2C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(DLT_RAW);
  std::vector<std::string> records;
  std::string file = header;
  for (uint32_t i = 0; i < 3000; ++i) {
    std::string data(1 + (i * 37) % 1500, char('a' + i % 26));
    data.replace(0, std::min(data.size(), std::to_string(i).size()), std::to_string(i));
    file += le32(i) + le32(0) + le32(uint32_t(data.size())) + le32(uint32_t(data.size())) + data;
    records.push_back(data);
  }
  ASSERT_GT(file.size(), size_t(1) << 20);
  TempFile t;
  ASSERT_EQ(::mkfifo(t.path.c_str(), 0600), 0);
  std::thread writer([&] {
    int fd = ::open(t.path.c_str(), O_WRONLY);
    for (size_t at = 0; at < file.size();) {
      size_t piece = at < 5000 ? 7 : 4093;  // the header and first records byte by byte nearly
      at += size_t(::write(fd, file.data() + at, std::min(piece, file.size() - at)));
    }
    ::close(fd);
  });
  PcapSource src(t.path.string());
  EXPECT_FALSE(src.regular_file());
  Frame f;
  std::vector<std::pair<std::string, int64_t>> got;  // read to the end, so the writer ends
  while (src.next(f)) got.emplace_back(as_text(f.data), f.timestamp_us);
  writer.join();
  ASSERT_EQ(got.size(), records.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].first, records[i]) << "record " << i;
    EXPECT_EQ(got[i].second, int64_t(i) * 1000000);
  }
  EXPECT_EQ(src.error(), "");
}

TEST(PcapSource, NotACaptureIsRefused) {
  TempFile t;
  t.write("this is not a capture file");
  EXPECT_THROW(PcapSource(t.path.string()), std::runtime_error);
  EXPECT_THROW(PcapSource("/nonexistent/file.pcap"), std::runtime_error);
}

}  // namespace
}  // namespace trawl
