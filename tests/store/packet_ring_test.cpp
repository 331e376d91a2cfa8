#include "store/packet_ring.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "capture/pcap_source.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::TempDir;

const EntryEndpoint kClientA{"10.1.0.1", 40001}, kClientB{"10.1.0.2", 40002},
    kServer{"10.1.0.9", 80};

void put16be(std::string& s, size_t at, uint16_t v) {
  s[at] = char(v >> 8);
  s[at + 1] = char(v);
}

// An Ethernet/IPv4/TCP frame from `client` to the server; the payload starts
// with `seq` and is `payload` bytes long.
std::string tcp_frame(const EntryEndpoint& client, uint32_t seq, size_t payload) {
  std::string f(14 + 20 + 20, '\0');
  f[12] = 0x08;  // IPv4
  f[14] = 0x45;
  put16be(f, 16, uint16_t(std::min<size_t>(20 + 20 + payload, 65535)));
  f[22] = 64;
  f[23] = 6;  // TCP
  auto ip = [&](size_t at, const std::string& text) {
    unsigned a, b, c, d;
    std::sscanf(text.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
    f[at] = char(a), f[at + 1] = char(b), f[at + 2] = char(c), f[at + 3] = char(d);
  };
  ip(26, client.ip);
  ip(30, kServer.ip);
  put16be(f, 34, client.port);
  put16be(f, 36, kServer.port);
  f[38] = char(seq >> 24), f[39] = char(seq >> 16), f[40] = char(seq >> 8), f[41] = char(seq);
  f[46] = 0x50;
  f[47] = 0x18;  // PSH ACK
  std::string body(payload, '\0');
  std::memcpy(body.data(), &seq, std::min<size_t>(4, payload));
  for (size_t i = 4; i < payload; ++i) body[i] = char('a' + (seq + i) % 26);
  return f + body;
}

Frame frame_of(const std::string& bytes, int64_t ts) {
  Frame f;
  f.timestamp_us = ts;
  f.link_type = 1;
  f.data = Bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  f.wire_length = uint32_t(bytes.size());
  return f;
}

// The frames of an exported pcap, as strings.
std::vector<std::string> frames_in(const std::string& pcap, const std::string& dir) {
  std::string path = dir + "/export.pcap";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(pcap.data(), 1, pcap.size(), f);
  std::fclose(f);
  PcapSource source(path);
  std::vector<std::string> out;
  Frame frame;
  while (source.next(frame)) out.emplace_back(frame.data.begin(), frame.data.end());
  EXPECT_EQ(source.error(), "");
  std::filesystem::remove(path);
  return out;
}

// The ring's stats once `n` packets are written (flushing meanwhile).
PacketRingStats kept_stats(PacketRing& ring, uint64_t n) {
  for (int tries = 0; tries < 300 && ring.stats().kept_packets < n; ++tries) {
    ring.flush();
    usleep(10'000);
  }
  return ring.stats();
}

TEST(PacketRing, ConnectionsExportWhileFilesGrowAndAfterClose) {
  TempDir dir;
  std::string ring_dir = dir.path + "/packets";
  std::vector<std::string> sent_a, sent_b;
  std::mt19937 rng(7);
  {
    PacketRingSettings s;
    s.dir = ring_dir;
    s.buffer_bytes = 64 << 10;
    PacketRing ring(s, 0);
    for (uint32_t i = 0; i < 3000; ++i) {
      size_t payload = i % 100 == 0 ? 60000 : rng() % 1500;  // some larger than a buffer
      bool a = rng() % 2;
      std::string f = tcp_frame(a ? kClientA : kClientB, i, payload);
      uint64_t dropped = ring.stats().dropped_packets;
      ring.add(frame_of(f, 1'700'000'000'000'000 + i));
      // This loop outruns any disk: what the writer was behind on is not kept.
      if (ring.stats().dropped_packets == dropped) (a ? sent_a : sent_b).push_back(f);
      if (i % 997 == 0) ring.flush();  // partial pages, rewritten later
    }
    // The writer is asynchronous: wait for it, then read files still growing.
    // (A flush waits for a free buffer; the worker flushes at every idle tick.)
    std::vector<std::string> got;
    for (int tries = 0; tries < 200 && got.size() != sent_a.size(); ++tries) {
      ring.flush();
      usleep(10'000);
      auto pcap = export_connection(ring_dir, "tcp", kClientA, kServer);
      got = pcap ? frames_in(*pcap, dir.path) : std::vector<std::string>{};
    }
    EXPECT_EQ(got.size(), sent_a.size());
    EXPECT_TRUE(got == sent_a);  // (not EXPECT_EQ: it would print megabytes)
    PacketRingStats st = kept_stats(ring, sent_a.size() + sent_b.size());
    EXPECT_EQ(st.kept_packets + st.dropped_packets, 3000u);
    EXPECT_EQ(st.kept_packets, sent_a.size() + sent_b.size());
    EXPECT_EQ(st.write_errors, 0u);
  }
  auto pcap = export_connection(ring_dir, "tcp", kServer, kClientB);  // either order
  ASSERT_TRUE(pcap);
  EXPECT_TRUE(frames_in(*pcap, dir.path) == sent_b);
  // A closed file is whole blocks, every packet, and no padding left behind.
  for (const auto& f : std::filesystem::directory_iterator(ring_dir)) {
    std::string text(std::filesystem::file_size(f.path()), '\0');
    std::FILE* in = std::fopen(f.path().c_str(), "rb");
    ASSERT_EQ(std::fread(text.data(), 1, text.size(), in), text.size());
    std::fclose(in);
    size_t packets = 0;
    for (size_t at = 0; at < text.size();) {
      uint32_t head[2];
      ASSERT_LE(at + 8, text.size());
      std::memcpy(head, text.data() + at, 8);
      EXPECT_TRUE(head[0] == 0x0A0D0D0A || head[0] == 1 || head[0] == 6) << head[0];
      packets += head[0] == 6;
      ASSERT_GE(head[1], 12u);
      at += head[1];
      ASSERT_LE(at, text.size());
    }
    EXPECT_EQ(packets, sent_a.size() + sent_b.size());
  }
  EXPECT_FALSE(export_connection(ring_dir, "udp", kClientA, kServer));
}

TEST(PacketRing, OldestFilesGoWithinTheBudgetAndSurviveARestart) {
  TempDir dir;
  PacketRingSettings s;
  s.dir = dir.path;
  s.max_bytes = 4 << 20;
  s.file_bytes = 1 << 20;
  s.buffer_bytes = 64 << 10;
  std::vector<std::string> sent;
  auto write = [&](uint32_t from, uint32_t to) {
    PacketRing ring(s, 3);
    for (uint32_t i = from; i < to; ++i) {
      std::string f = tcp_frame(kClientA, i, 1000 + i % 400);
      uint64_t dropped = ring.stats().dropped_packets;
      ring.add(frame_of(f, 1'700'000'000'000'000 + i));
      if (ring.stats().dropped_packets == dropped) sent.push_back(f);  // else the disk lagged
    }
    PacketRingStats st = ring.stats();
    EXPECT_EQ(st.write_errors, 0u);
    return st;
  };
  PacketRingStats first = write(0, 16000);  // ~19 MB through a 4 MB budget
  EXPECT_GT(first.files_removed, 0u);
  uint64_t total = 0;
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path)) {
    total += std::filesystem::file_size(f.path());
    ++files;
    EXPECT_TRUE(f.path().filename().string().starts_with("t3-")) << f.path();
  }
  EXPECT_LE(total, s.max_bytes);
  EXPECT_GE(files, 3u);
  // What is kept is the newest packets, every one of them, in order.
  auto pcap = export_connection(dir.path, "tcp", kClientA, kServer);
  ASSERT_TRUE(pcap);
  auto kept = frames_in(*pcap, dir.path);
  ASSERT_GT(kept.size(), 1000u);
  ASSERT_LE(kept.size(), sent.size());
  EXPECT_TRUE(std::equal(kept.begin(), kept.end(), sent.end() - ptrdiff_t(kept.size())));

  // A restart keeps the earlier files (within the budget) and goes on after them.
  write(16000, 17000);
  pcap = export_connection(dir.path, "tcp", kClientA, kServer);
  ASSERT_TRUE(pcap);
  auto after = frames_in(*pcap, dir.path);
  ASSERT_GT(after.size(), 1000u);
  EXPECT_TRUE(after.back() == sent.back());
  uint32_t first_seq;
  std::memcpy(&first_seq, after.front().data() + 54, 4);
  EXPECT_LT(first_seq, 16000u);  // packets of the first run are still there
}

TEST(PacketRing, FramesAreNotKeptButCountedWhenEveryBufferWaits) {
  TempDir dir;
  PacketRingSettings s;
  s.dir = dir.path;
  s.buffer_bytes = 4096;
  s.max_buffers = 2;
  PacketRing ring(s, 0);
  std::string big = tcp_frame(kClientA, 1, 60000);  // needs more buffers than there are
  ring.add(frame_of(big, 1));
  PacketRingStats st = ring.stats();
  EXPECT_EQ(st.dropped_packets, 1u);
  EXPECT_EQ(st.kept_packets, 0u);
  ring.add(frame_of(tcp_frame(kClientA, 2, 100), 2));
  EXPECT_EQ(kept_stats(ring, 1).kept_packets, 1u);
}

// Packets count as kept once they are on disk, not when handed to the writer:
// on a full disk (here, over the file size limit) they are counted lost.
TEST(PacketRing, PacketsAreKeptWhenWrittenAndLostWhenTheDiskRefuses) {
  TempDir dir;
  signal(SIGXFSZ, SIG_IGN);
  PacketRingSettings s;
  s.dir = dir.path;
  PacketRing ring(s, 0);
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  rlimit full = saved;
  full.rlim_cur = 8192;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &full), 0);
  for (uint32_t i = 0; i < 400; ++i) ring.add(frame_of(tcp_frame(kClientA, i, 1000), i));
  ring.flush();
  PacketRingStats st;
  for (int tries = 0; tries < 200; ++tries) {
    st = ring.stats();
    if (st.kept_packets + st.lost_packets == 400) break;
    usleep(10'000);
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_EQ(st.kept_packets + st.lost_packets, 400u);
  EXPECT_GT(st.lost_packets, 0u);
  EXPECT_LT(st.kept_bytes, 8192u);  // never more than the disk took
  EXPECT_GT(st.write_errors, 0u);
  // Space is back, but this file ends where its failed write began: what
  // follows is lost, not written past a hole of zeros (not pcapng).
  for (uint32_t i = 400; i < 500; ++i) ring.add(frame_of(tcp_frame(kClientA, i, 1000), i));
  ring.close();
  st = ring.stats();
  EXPECT_EQ(st.kept_packets + st.lost_packets, 500u);
  for (const auto& f : std::filesystem::directory_iterator(dir.path))
    EXPECT_LE(std::filesystem::file_size(f.path()), 8192u) << f.path();
}

// A file read with --serve reports its counts once closed: no waiting.
TEST(PacketRing, CountsAreFinalOnceClosed) {
  TempDir dir;
  PacketRingSettings s;
  s.dir = dir.path;
  PacketRing ring(s, 0);
  for (uint32_t i = 0; i < 3000; ++i) ring.add(frame_of(tcp_frame(kClientA, i, 700), i));
  ring.close();
  EXPECT_EQ(ring.stats().kept_packets, 3000u);
  ring.close();  // twice is once
  EXPECT_EQ(ring.stats().kept_packets, 3000u);
}

TEST(PacketRing, BadSettingsAndUnwritableDirectoriesAreErrors) {
  PacketRingSettings s;
  s.dir = "/proc/trawl-cannot-be-here";
  EXPECT_THROW(PacketRing(s, 0), std::runtime_error);
  TempDir dir;
  s.dir = dir.path;
  s.buffer_bytes = 1000;
  EXPECT_THROW(PacketRing(s, 0), std::invalid_argument);
}

}  // namespace
}  // namespace trawl
