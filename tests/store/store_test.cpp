#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "entries/json_parse.h"
#include "store/entry_record.h"
#include "tests/support.h"

namespace trawl {
namespace {

using testing::TempDir;

// Entry n is made from n alone, so a reader can check every field it gets back.
Entry make_entry(uint64_t n, int64_t base_us = 1'700'000'000'000'000) {
  Entry e;
  e.protocol = n % 3 == 0 ? "redis" : "http";
  e.version = "1.1";
  e.layer4 = "tcp";
  e.src = {"10.0.0." + std::to_string(n % 200), uint16_t(40000 + n % 1000)};
  e.dst = {"10.0.1.1", 80};
  e.timestamp_us = base_us + int64_t(n) * 1000;
  e.elapsed_ms = double(n % 97) / 1000;
  e.request.set("method", "GET");
  e.request.set("url", "/item/" + std::to_string(n) + std::string(n % 50, 'x'));
  if (n % 5 != 0) e.response = Json::raw(R"({"status":200,"n":)" + std::to_string(n) + "}");
  e.request_size = n;
  e.response_size = n * 2;
  e.stream = std::to_string(n / 10);
  if (n % 7 == 0) e.error = "no response";
  return e;
}

std::string json_of(const Entry& e) {
  std::string out;
  write_entry_json(out, e);
  return out;
}

// What entry n must read back as once the store has given it `id`.
std::string expected_json(uint64_t n, uint64_t id) {
  Entry e = make_entry(n);
  e.id = id;
  return json_of(e);
}

// Every entry the store serves, each checked against what it was given; how many.
uint64_t scan_intact(Store& store) {
  uint64_t served = 0;
  store.scan({}, [&](Entry& e) {
    EXPECT_EQ(json_of(e), expected_json(e.id, e.id));
    ++served;
    return true;
  });
  return served;
}

StoreSettings settings_for(const TempDir& dir) {
  StoreSettings s;
  s.dir = dir.path;
  s.block_bytes = 4096;
  s.max_age_us = int64_t(100) * 365 * 86400 * 1000000;  // the test entries are from 2023
  return s;
}

TEST(Store, AppendsAndReadsBackByIdTimeAndProtocol) {
  TempDir dir;
  Store store(settings_for(dir));
  for (uint64_t n = 1; n <= 1000; ++n) {
    Entry e = make_entry(n);
    EXPECT_EQ(store.append(e), n);
  }
  // Half committed, half still pending: both are readable.
  EXPECT_GT(store.durable_id(), 0u);
  EXPECT_LT(store.durable_id(), 1000u);
  for (uint64_t id : {1u, 2u, 500u, 999u, 1000u}) {
    auto e = store.get(id);
    ASSERT_TRUE(e) << id;
    EXPECT_EQ(json_of(*e), expected_json(id, id));
  }
  EXPECT_FALSE(store.get(0));
  EXPECT_FALSE(store.get(1001));
  // Newest first, bounded by id and time, filtered by protocol.
  std::vector<uint64_t> seen;
  StoreRange r;
  r.max_id = 900;
  r.min_us = make_entry(101).timestamp_us;
  r.protocols = protocol_bit("redis");
  store.scan(r, [&](Entry& e) {
    seen.push_back(e.id);
    EXPECT_EQ(e.protocol, "redis");
    return seen.size() < 1000;
  });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), 900u);
  EXPECT_EQ(seen.back(), 102u);
  EXPECT_EQ(seen.size(), 267u);  // multiples of 3 in 101..900
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  // A visitor can stop early.
  uint64_t visited = store.scan({}, [](Entry&) { return false; });
  EXPECT_EQ(visited, 1u);
}

TEST(Store, ReopensWithEveryCommittedEntryAndContinuesIds) {
  TempDir dir;
  {
    Store store(settings_for(dir));
    for (uint64_t n = 1; n <= 300; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
  }  // closing commits
  Store store(settings_for(dir));
  EXPECT_EQ(store.stats().entries, 300u);
  EXPECT_EQ(store.durable_id(), 300u);
  Entry e = make_entry(301);
  EXPECT_EQ(store.append(e), 301u);
  auto back = store.get(151);
  ASSERT_TRUE(back);
  EXPECT_EQ(json_of(*back), expected_json(151, 151));
  // Request and response come back as JSON text, parsed when a reader needs them.
  expand_raw(*back);
  EXPECT_EQ(back->request.find("method")->str(), "GET");
  ASSERT_TRUE(back->response);
  EXPECT_EQ(back->response->find("n")->integer(), 151);
}

TEST(Store, RetentionBySizeDropsTheOldestSegmentsOnly) {
  TempDir dir;
  StoreSettings s = settings_for(dir);
  s.max_bytes = 16 * 1024;
  s.segment_bytes = 4 * 1024;
  s.sync = false;
  Store store(s);
  for (uint64_t n = 1; n <= 5000; ++n) {
    Entry e = make_entry(n);
    store.append(e);
  }
  store.commit();
  StoreStats st = store.stats();
  EXPECT_LE(st.bytes, s.max_bytes);
  EXPECT_GT(st.segments_evicted, 0u);
  EXPECT_GT(st.first_id, 1u);
  EXPECT_EQ(st.last_id, 5000u);
  EXPECT_FALSE(store.get(1));
  auto newest = store.get(5000);
  ASSERT_TRUE(newest);
  EXPECT_EQ(json_of(*newest), expected_json(5000, 5000));
  // What is kept is contiguous up to the newest.
  uint64_t expect = 5000, count = 0;
  store.scan({}, [&](Entry& e) {
    EXPECT_EQ(e.id, expect--);
    ++count;
    return true;
  });
  EXPECT_EQ(count, st.entries);
  size_t files = 0;
  for (auto& f : std::filesystem::directory_iterator(dir.path))
    files += f.path().extension() == ".seg";
  EXPECT_EQ(files, st.segments);
}

TEST(Store, RetentionByAgeDropsOldSegmentsButNeverTheNewest) {
  TempDir dir;
  StoreSettings s = settings_for(dir);
  s.segment_bytes = 8 * 1024;
  s.max_age_us = 60'000'000;  // a minute
  s.sync = false;
  int64_t now = make_entry(1).timestamp_us;
  s.now_us = [&] { return now; };
  Store store(s);
  for (uint64_t n = 1; n <= 2000; ++n) {
    Entry e = make_entry(n);  // one entry per millisecond: 2 s in all
    store.append(e);
  }
  store.commit();
  EXPECT_EQ(store.stats().segments_expired, 0u);
  now += 3600'000'000;  // an hour later every entry is too old
  Entry late = make_entry(2001);
  store.append(late);
  store.commit();
  StoreStats st = store.stats();
  EXPECT_GT(st.segments_expired, 0u);
  EXPECT_GE(st.segments, 1u);
  EXPECT_TRUE(store.get(2001));  // the segment being written stays
  EXPECT_FALSE(store.get(1));
}

TEST(Store, TornTailIsCutAndCorruptBlocksAreNeverServed) {
  TempDir dir;
  std::string segment;
  {
    Store store(settings_for(dir));
    for (uint64_t n = 1; n <= 400; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
  }
  for (auto& f : std::filesystem::directory_iterator(dir.path)) segment = f.path();
  uint64_t size = std::filesystem::file_size(segment);
  {  // a crash in the middle of writing a block: half of it reached the disk
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    std::string half(3000, '\x5a');
    std::memcpy(half.data(), "TRW1", 4);
    out << half;
  }
  {
    Store store(settings_for(dir));
    EXPECT_EQ(store.stats().truncated_bytes, 3000u);
    EXPECT_EQ(store.stats().entries, 400u);
    EXPECT_EQ(std::filesystem::file_size(segment), size);
  }
  {  // a flipped byte inside a committed block's payload
    std::fstream f(segment, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(100);
    char c;
    f.seekg(100);
    f.get(c);
    f.seekp(100);
    f.put(char(c ^ 0xFF));
  }
  Store store(settings_for(dir));
  // The damaged block is not in the tail a crash could cut, so it stays indexed,
  // but it is never served: it fails its checksum when read, and is counted.
  uint64_t served = scan_intact(store);
  EXPECT_LT(served, 400u);
  EXPECT_GT(served, 300u);
  EXPECT_EQ(store.stats().corrupt_blocks, 1u);
  EXPECT_FALSE(store.get(1));
}

// A segment written by an earlier version (TRW1 blocks: zstd's own frame
// checksum, no CRC after the frame) is read as it was, and appended to.
TEST(Store, ReadsBlocksOfTheEarlierFormat) {
  TempDir dir;
  std::string raw;
  for (uint64_t n = 1; n <= 50; ++n) {
    Entry e = make_entry(n);
    e.id = n;
    encode_entry_record(e, raw);
  }
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string frame(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  uint8_t h[48] = {};
  uint32_t u32[4] = {uint32_t(n), uint32_t(raw.size()), 50, 0xFFFFFFFFu};
  int64_t i64[3] = {1, make_entry(1).timestamp_us, make_entry(50).timestamp_us};
  std::memcpy(h, "TRW1", 4);
  std::memcpy(h + 8, u32, 16);
  std::memcpy(h + 24, i64, 24);
  uint32_t crc = uint32_t(crc32(0, h + 8, 40));
  std::memcpy(h + 4, &crc, 4);
  {
    std::ofstream out(dir.path + "/00000000000000000001.seg", std::ios::binary);
    out.write(reinterpret_cast<const char*>(h), 48);
    out << frame;
  }
  {
    Store store(settings_for(dir));
    EXPECT_EQ(store.stats().entries, 50u);
    EXPECT_EQ(store.stats().truncated_bytes, 0u);
    for (uint64_t k = 51; k <= 60; ++k) {
      Entry e = make_entry(k);
      EXPECT_EQ(store.append(e), k);
    }
  }
  Store store(settings_for(dir));
  uint64_t served = scan_intact(store);
  EXPECT_EQ(served, 60u);
  EXPECT_EQ(store.stats().corrupt_blocks, 0u);
}

// Capture threads append while the store's own thread commits and readers
// scan: every entry ends up on disk exactly once, intact.
TEST(Store, BackgroundCommitsWhileThreadsAppendAndRead) {
  TempDir dir;
  {
    StoreSettings s = settings_for(dir);
    s.segment_bytes = 32 * 1024;
    Store store(s);
    store.commit_every(std::chrono::milliseconds(5));
    std::atomic<bool> writing{true};
    std::thread reader([&] {
      while (writing) {
        uint64_t last = UINT64_MAX;
        store.scan({}, [&](Entry& e) {
          EXPECT_LT(e.id, last);  // newest first, no entry twice
          last = e.id;
          return true;
        });
      }
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t)
      writers.emplace_back([&] {
        for (int i = 0; i < 3000; ++i) {
          Entry e = make_entry(1);
          store.append(e);
        }
      });
    for (auto& w : writers) w.join();
    writing = false;
    reader.join();
    for (int i = 0; i < 200 && store.durable_id() < 12000; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(store.durable_id(), 12000u);  // without an explicit commit
    EXPECT_GT(store.stats().segments, 1u);
  }
  Store store(settings_for(dir));
  EXPECT_EQ(store.stats().entries, 12000u);
  uint64_t expect = 12000;
  store.scan({}, [&](Entry& e) {
    EXPECT_EQ(e.id, expect--);
    EXPECT_EQ(e.request.raw_text(), R"({"method":"GET","url":"/item/1x"})");
    return true;
  });
  EXPECT_EQ(expect, 0u);
}

// Blocks that pile up faster than the committer's interval are compressed at
// the fast level (counted); everything reads back the same, through reused
// block buffers, before and after a reopen.
TEST(Store, ABacklogIsCompressedFastAndReadsBackIntact) {
  TempDir dir;
  uint64_t fast = 0, blocks = 0;
  {
    Store store(settings_for(dir));
    store.commit_every(std::chrono::hours(1));  // only a backlog wakes it
    for (uint64_t n = 1; n <= 2900; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
    for (int i = 0; i < 200 && store.stats().fast_blocks == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    store.commit();
    for (uint64_t n = 2901; n <= 3000; ++n) {  // a few blocks, no backlog: the normal level
      Entry e = make_entry(n);
      store.append(e);
    }
    store.commit();
    StoreStats st = store.stats();
    fast = st.fast_blocks;
    blocks = st.blocks;
    EXPECT_GT(fast, 8u);
    EXPECT_LT(fast, blocks);
    EXPECT_EQ(store.durable_id(), 3000u);
  }
  Store store(settings_for(dir));
  EXPECT_EQ(store.stats().blocks, blocks);
  uint64_t expect = 3000;
  store.scan({}, [&](Entry& e) {
    EXPECT_EQ(json_of(e), expected_json(expect, expect));
    --expect;
    return true;
  });
  EXPECT_EQ(expect, 0u);
}

// A writer process is killed with SIGKILL at random moments; after each kill
// the store must hold every entry it acknowledged as durable, intact, no entry
// that reads back wrong, and no id it handed out (durable or not: the API and
// the live stream serve pending entries) may name another entry afterwards.
TEST(Store, SurvivesSigkillAtRandomMomentsWithoutLosingAcknowledgedEntriesOrReusingIds) {
  TempDir dir;
  std::mt19937 rng(20261127);
  std::map<uint64_t, uint64_t> content_of;  // every id handed out -> the n its entry was made from
  std::set<uint64_t> durable;               // ids acknowledged durable
  uint64_t acknowledged = 0, next_n = 1;
  for (int round = 0; round < 25; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      StoreSettings s = settings_for(dir);
      s.block_bytes = 1024 + rng() % 8192;
      s.segment_bytes = 64 * 1024;
      Store store(s);
      for (uint64_t n = next_n;; ++n) {
        Entry e = make_entry(n);
        store.append(e);
        if (e.id % 17 == 0) store.commit();
        uint64_t report[3] = {e.id, n, store.durable_id()};
        if (write(fds[1], report, sizeof report) != sizeof report) _exit(1);
      }
    }
    close(fds[1]);
    uint64_t report[3], round_ack = 0, round_first = UINT64_MAX, round_reports = 0;
    auto take = [&] {
      round_first = std::min(round_first, report[0]);
      round_ack = std::max(round_ack, report[2]);
      ++round_reports;
      EXPECT_EQ(content_of.count(report[0]), 0u) << "id " << report[0] << " handed out twice";
      content_of[report[0]] = report[1];
      next_n = report[1] + 1;
      acknowledged = std::max(acknowledged, report[2]);
    };
    // Some progress first, however slow the build (ASan) or the machine, then
    // the kill at a random moment after it.
    uint64_t progress = 60 + rng() % 200;
    while (round_reports < progress && read(fds[0], report, sizeof report) == sizeof report) take();
    usleep(useconds_t(rng() % 20000));
    kill(pid, SIGKILL);
    while (read(fds[0], report, sizeof report) == sizeof report) take();
    close(fds[0]);
    for (auto it = content_of.lower_bound(round_first); it != content_of.end(); ++it)
      if (it->first <= round_ack) durable.insert(it->first);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    Store store(settings_for(dir));
    StoreStats st = store.stats();
    ASSERT_GE(st.last_id, acknowledged) << "round " << round;
    uint64_t last = UINT64_MAX, served = 0;
    std::set<uint64_t> served_ids;
    uint64_t last_reported = content_of.empty() ? 0 : content_of.rbegin()->first;
    store.scan({}, [&](Entry& e) {
      EXPECT_LT(e.id, last);
      last = e.id;
      ++served;
      served_ids.insert(e.id);
      // The kill may come between an append (that committed) and its report.
      if (e.id > last_reported && !content_of.count(e.id)) content_of[e.id] = next_n++;
      auto it = content_of.find(e.id);
      EXPECT_TRUE(it != content_of.end()) << "id " << e.id << " was never handed out";
      if (it != content_of.end()) {
        EXPECT_EQ(json_of(e), expected_json(it->second, e.id));
      }
      return true;
    });
    for (uint64_t id : durable) EXPECT_TRUE(served_ids.count(id)) << "durable id " << id << " lost";
    EXPECT_GE(served, durable.size()) << "round " << round;
    EXPECT_EQ(st.corrupt_blocks, 0u);
    EXPECT_EQ(st.damaged_regions, 0u);
  }
  EXPECT_GT(acknowledged, 0u);
  EXPECT_GT(content_of.size(), 1000u);
}

// A bit flipped in the header of a block in the middle of the segment being
// written: that block is skipped and counted; every block after it is kept.
TEST(Store, ADamagedHeaderInTheActiveSegmentLosesOnlyItsBlock) {
  TempDir dir;
  std::string segment;
  uint64_t blocks = 0;
  {
    Store store(settings_for(dir));
    for (uint64_t n = 1; n <= 2000; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
    store.commit();
    blocks = store.stats().blocks;
  }
  for (auto& f : std::filesystem::directory_iterator(dir.path))
    if (f.path().extension() == ".seg") segment = f.path();
  // Walk the block headers to the middle one, and flip a bit of its id.
  std::fstream f(segment, std::ios::binary | std::ios::in | std::ios::out);
  uint64_t offset = 0;
  for (uint64_t i = 0; i < blocks / 2; ++i) {
    uint32_t payload;
    f.seekg(std::streamoff(offset + 8));
    f.read(reinterpret_cast<char*>(&payload), 4);
    offset += 48 + payload;
  }
  f.seekg(std::streamoff(offset + 26));
  char c;
  f.get(c);
  f.seekp(std::streamoff(offset + 26));
  f.put(char(c ^ 0x10));
  f.close();
  uint64_t size = std::filesystem::file_size(segment);
  Store store(settings_for(dir));
  StoreStats st = store.stats();
  EXPECT_EQ(st.damaged_regions, 1u);
  EXPECT_GT(st.damaged_bytes, 48u);
  EXPECT_EQ(st.truncated_bytes, 0u);
  EXPECT_EQ(std::filesystem::file_size(segment), size);
  EXPECT_EQ(st.blocks, blocks - 1);
  EXPECT_GT(st.entries, 2000u - 2000u / blocks * 2);
  EXPECT_EQ(st.last_id, 2000u);
  EXPECT_EQ(scan_intact(store), st.entries);
  // New entries continue after the last id, and everything survives a reopen.
  Entry e = make_entry(2001);
  EXPECT_EQ(store.append(e), 2001u);
}

// Commits that fail (the disk is full) lose their entries, counted; commits
// after space returns succeed, and a reopen keeps every entry written before
// and after the failure: a gap in ids is not damage.
TEST(Store, AFullDiskLosesOnlyTheEntriesItRefusedAndKeepsEverythingAfter) {
  TempDir dir;
  signal(SIGXFSZ, SIG_IGN);  // over the file size limit: EFBIG instead of a signal
  StoreSettings settings = settings_for(dir);
  settings.block_bytes = 1 << 20;  // only commit() writes
  {
    Store store(settings);
    for (uint64_t n = 1; n <= 300; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
    store.commit();
    uint64_t durable = store.durable_id();
    EXPECT_EQ(durable, 300u);
    rlimit saved{};
    getrlimit(RLIMIT_FSIZE, &saved);
    rlimit full = saved;
    full.rlim_cur = store.stats().bytes;  // no byte more fits in the segment
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &full), 0);
    for (uint64_t n = 301; n <= 400; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
    bool threw = false;
    try {
      store.commit();
    } catch (const std::runtime_error&) {
      threw = true;
    }
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
    EXPECT_TRUE(threw);
    StoreStats st = store.stats();
    EXPECT_EQ(st.durable_id, 300u);
    EXPECT_EQ(st.failed_commits, 1u);
    EXPECT_GT(st.entries_lost, 0u);
    EXPECT_FALSE(st.last_error.empty());
    for (uint64_t n = 401; n <= 500; ++n) {
      Entry e = make_entry(n);
      EXPECT_EQ(store.append(e), n);  // ids go on: the lost ones are never given again
    }
    store.commit();
    EXPECT_EQ(store.durable_id(), 500u);
  }
  Store store(settings);
  StoreStats st = store.stats();
  EXPECT_EQ(st.entries, 400u);
  EXPECT_EQ(st.truncated_bytes, 0u);
  EXPECT_EQ(st.damaged_regions, 0u);
  EXPECT_EQ(st.last_id, 500u);
  EXPECT_EQ(scan_intact(store), st.entries);
  EXPECT_TRUE(store.get(300));
  EXPECT_TRUE(store.get(401));
  EXPECT_TRUE(store.get(500));
}

// Files that are not the store's are named and skipped, never fatal.
TEST(Store, StrayFilesAreReportedAndSkipped) {
  TempDir dir;
  {
    Store store(settings_for(dir));
    for (uint64_t n = 1; n <= 10; ++n) {
      Entry e = make_entry(n);
      store.append(e);
    }
  }
  std::ofstream(dir.path + "/notes.txt") << "hello";
  std::ofstream(dir.path + "/0000000000000000abcd.seg") << "not a segment";
  std::filesystem::create_directory(dir.path + "/99999999999999999999.seg");
  Store store(settings_for(dir));
  StoreStats st = store.stats();
  EXPECT_EQ(st.entries, 10u);
  EXPECT_EQ(st.stray_files, (std::vector<std::string>{"0000000000000000abcd.seg",
                                                      "99999999999999999999.seg", "notes.txt"}));
}

// A scan stopped from outside says where to resume: resuming there visits
// every entry exactly once.
TEST(Store, AStoppedScanResumesWhereItStopped) {
  TempDir dir;
  Store store(settings_for(dir));
  for (uint64_t n = 1; n <= 3000; ++n) {
    Entry e = make_entry(n);
    store.append(e);
    if (n == 2000) store.commit();
  }
  std::vector<uint64_t> seen;
  StoreRange range;
  std::atomic<bool> cancelled{false};
  for (int pass = 0; pass < 1000; ++pass) {
    ScanControl control;
    control.cancelled = &cancelled;
    cancelled = false;
    store.scan(
        range,
        [&](Entry& e) {
          seen.push_back(e.id);
          if (seen.size() % 7 == 0) cancelled = true;  // from another thread, in the API
          return true;
        },
        &control);
    if (!control.stopped) break;
    ASSERT_GT(control.resume_below, 0u);
    range.max_id = control.resume_below - 1;
  }
  ASSERT_EQ(seen.size(), 3000u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 3000 - i);
  // A deadline already past stops a scan before its first record.
  ScanControl late;
  late.deadline_ns = 0;
  EXPECT_EQ(store.scan(
                {}, [](Entry&) { return true; }, &late),
            0u);
  EXPECT_TRUE(late.stopped);
  EXPECT_EQ(late.resume_below, 3001u);
}

// Context fields (Kubernetes, process, trace) go in the record's optional
// section; entries without them are stored as before.
TEST(Store, ContextFieldsAreStoredAndReadBack) {
  TempDir dir;
  auto with_context = [](uint64_t n) {
    Entry e = make_entry(n);
    if (n % 2) return e;
    e.context.set(ContextField::kSrcName, Json("pod-" + std::to_string(n)));
    e.context.set(ContextField::kSrcPid, Json(int64_t(n)));
    Json labels = Json::object();
    labels.set("app", "front-end");
    e.context.set(ContextField::kDstLabels, std::move(labels));
    e.context.set(ContextField::kNodeName, Json("node-1"));
    return e;
  };
  {
    Store store(settings_for(dir));
    for (uint64_t n = 1; n <= 500; ++n) {
      Entry e = with_context(n);
      store.append(e);
    }
  }
  Store store(settings_for(dir));
  uint64_t served = store.scan({}, [&](Entry& e) {
    Entry want = with_context(e.id);
    want.id = e.id;
    EXPECT_EQ(json_of(e), json_of(want));
    return true;
  });
  EXPECT_EQ(served, 500u);
}

// A field a later release added is skipped; the rest of the record reads.
TEST(Store, AContextFieldOfALaterReleaseIsSkipped) {
  Entry e = make_entry(4);
  e.context.set(ContextField::kNodeName, Json("node-1"));
  std::string raw;
  encode_entry_record(e, raw);
  std::string field = "\x01" + std::string(1, char(ContextField::kNodeName));
  size_t at = raw.rfind(field + std::string("\x08\0\0\0", 4));
  ASSERT_NE(at, std::string::npos);
  raw[at + 1] = char(0x7f);
  Bytes in(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  Entry back;
  ASSERT_TRUE(decode_entry_record(in, back));
  EXPECT_TRUE(back.context.empty());
  EXPECT_EQ(json_of(back), json_of(make_entry(4)));
}

// tests/store/fixtures/segment-v1: a segment the first release wrote for
// fixtures/demo.pcap (read --serve --data-dir), and that release's read --json
// of the same capture.
TEST(Store, ReadsASegmentOfTheFirstRelease) {
  std::string fixture = std::string(TRAWL_SOURCE_DIR) + "/tests/store/fixtures/segment-v1";
  TempDir dir;
  std::filesystem::copy(fixture + "/entries", dir.path);
  std::ifstream lines(fixture + "/entries.jsonl");
  std::vector<std::string> want;
  for (std::string line; std::getline(lines, line);) want.push_back(line);
  ASSERT_EQ(want.size(), 44u);
  Store store(settings_for(dir));
  std::vector<std::string> got(want.size());
  uint64_t served = store.scan({}, [&](Entry& e) {
    EXPECT_TRUE(e.context.empty());
    if (e.id >= 1 && e.id <= got.size()) got[e.id - 1] = json_of(e);
    return true;
  });
  EXPECT_EQ(served, want.size());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace trawl
