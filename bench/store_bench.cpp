// The store's numbers: append rate, reopen, and queries over many entries
// (indexed by protocol and time, and full scans), beside a peer in the same
// run: the same entries as JSON Lines through `zstd -1`, scanned with zstdcat | grep.
// Usage: trawl_store_bench CAPTURE[,CAPTURE...] DIR ENTRIES
// (up to 100,000 entries from each capture, repeated with new times and ids)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "capture/pcap_source.h"
#include "pipeline/pipeline.h"
#include "query/kfl.h"
#include "store/store.h"

using namespace trawl;

namespace {

struct Collect : EntrySink {
  std::vector<Entry> entries;
  size_t cap = 0;
  void emit(Entry&& e) override {
    if (entries.size() < cap) entries.push_back(std::move(e));
  }
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double run_shell(const std::string& cmd) {
  double t = now_s();
  if (std::system(cmd.c_str()) != 0) std::cerr << "peer failed: " << cmd << "\n";
  return now_s() - t;
}

// Scans with a query; prints the time and the rate.
void query(Store& store, const std::string& text, const char* what) {
  kfl::CompileError error;
  auto q = kfl::Query::compile(text, error);
  if (!q) {
    std::cerr << "bad query " << text << ": " << error.text() << "\n";
    return;
  }
  kfl::QueryBounds b = q->bounds();
  StoreRange r;
  r.min_us = b.min_us;
  r.max_us = b.max_us;
  if (b.protocols) {
    r.protocols = 0;
    for (const auto& p : *b.protocols) r.protocols |= protocol_bit(p);
  }
  uint64_t matched = 0;
  double t = now_s(), c = cpu_s();
  ScanControl control;
  uint64_t visited = store.scan(
      r,
      [&](Entry& e) {
        if (q->matches(e)) ++matched;
        return matched < 100000000;
      },
      &control);
  uint64_t scanned = control.scanned;
  double dt = now_s() - t, dc = cpu_s() - c;
  std::printf("| %s: `%s` | %.3f | %.3f | %llu | %llu | %llu | %.2f |\n", what, text.c_str(), dt,
              dc, static_cast<unsigned long long>(scanned),
              static_cast<unsigned long long>(visited), static_cast<unsigned long long>(matched),
              double(scanned) / std::max(dc, 1e-9) / 1e6);
}

// Entries of the captures (comma-separated), 100,000 of each at most.
void collect(const std::string& captures, Collect& source) {
  for (size_t start = 0; start < captures.size();) {
    size_t comma = captures.find(',', start);
    std::string file = captures.substr(start, comma - start);
    start = comma == std::string::npos ? captures.size() : comma + 1;
    source.cap = source.entries.size() + 100000;
    PipelineSettings ps;
    ps.dissect.max_body = 512;
    Pipeline pipeline(source, ps);
    PcapSource in(file);
    Frame f;
    while (source.entries.size() < source.cap && in.next(f)) pipeline.add(f);
    pipeline.finish();
  }
  std::map<std::string, size_t> mix;
  for (const Entry& e : source.entries) ++mix[e.protocol];
  std::printf("source: %zu entries of %s (bodies cut at 512 bytes):", source.entries.size(),
              captures.c_str());
  for (const auto& [p, n] : mix) std::printf(" %s %zu", p.c_str(), n);
  std::printf("\n\n");
}

// Appends as the worker does: the store's own thread compresses, writes and
// syncs every 200 ms, or sooner when blocks pile up (then at the fast level).
void bench_append(const Collect& source, const StoreSettings& s, uint64_t total) {
  Store store(s);
  store.commit_every(std::chrono::milliseconds(200));
  int64_t base = 1'800'000'000'000'000;
  double t = now_s(), c = cpu_s();
  for (uint64_t i = 0; i < total; ++i) {
    Entry e = source.entries[i % source.entries.size()];
    e.timestamp_us = base + int64_t(i) * 100;  // 10,000 entries a second
    store.append(e);
  }
  store.commit();
  double append_s = now_s() - t, append_cpu = cpu_s() - c;
  StoreStats st = store.stats();
  std::printf(
      "| store append | entries | wall s | CPU s (all threads) | entries/s | entries per CPU s | "
      "bytes on disk |\n|---|---|---|---|---|---|---|\n");
  std::printf(
      "| trawl store (zstd blocks; %llu of %llu at level -1 on a backlog, the rest level 1) | "
      "%llu | "
      "%.2f | %.2f | %.0f | %.0f | %.1f MB |\n",
      static_cast<unsigned long long>(st.fast_blocks), static_cast<unsigned long long>(st.blocks),
      static_cast<unsigned long long>(st.entries), append_s, append_cpu, double(total) / append_s,
      double(total) / append_cpu, double(st.bytes) / 1e6);
}

// The peer: the same entries as JSON Lines through zstd -1 into one file.
void bench_peer(const Collect& source, const std::string& dir, uint64_t total) {
  std::string cmd = "zstd -1 -q -f -o " + dir + "/peer.jsonl.zst";
  uint64_t json_bytes = 0;
  double t = now_s();
  FILE* p = popen(cmd.c_str(), "w");
  std::string line;
  for (uint64_t i = 0; i < total; ++i) {
    Entry e = source.entries[i % source.entries.size()];
    e.id = i + 1;
    e.timestamp_us = 1'800'000'000'000'000 + int64_t(i) * 100;
    line.clear();
    write_entry_json(line, e);
    line += '\n';
    json_bytes += line.size();
    std::fwrite(line.data(), 1, line.size(), p);
  }
  pclose(p);
  double dt = now_s() - t;
  std::printf("| peer: JSON Lines piped to `zstd -1` | %llu | %.2f | - | %.0f | - | %.1f MB |\n\n",
              static_cast<unsigned long long>(total), dt, double(total) / dt,
              double(std::filesystem::file_size(dir + "/peer.jsonl.zst")) / 1e6);
  std::printf("JSON of all entries: %.1f MB\n\n", double(json_bytes) / 1e6);
}

void bench_queries(const StoreSettings& s, const std::string& dir, uint64_t total) {
  double t = now_s();
  Store store(s);
  std::printf("reopen (index rebuilt from block headers): %.3f s\n\n", now_s() - t);
  std::printf(
      "| query | wall s | CPU s | entries scanned | of them visited | matched | M entries/s "
      "scanned "
      "per core |\n|---|---|---|---|---|---|---|\n");
  int64_t mid_ms = (1'800'000'000'000'000 + int64_t(total / 2) * 100) / 1000;
  query(store, "dns", "indexed by protocol");
  query(store, "src.port == 1", "full scan, entry fields");
  query(store,
        "timestamp >= " + std::to_string(mid_ms) + " and timestamp < " +
            std::to_string(mid_ms + 1000),
        "indexed by time (1 s)");
  query(store, "http and response.status == 999", "full scan");
  query(store, "request.path == \"/nope\"", "full scan, inside request");
  double peer =
      run_shell("zstdcat " + dir + "/peer.jsonl.zst | grep -c '\"status\":999' > /dev/null; true");
  std::printf(
      "| peer: `zstdcat | grep -c '\"status\":999'` (two processes; per wall s) | %.3f | - | %llu "
      "| - | - | %.2f |\n",
      peer, static_cast<unsigned long long>(total), double(total) / peer / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: trawl_store_bench CAPTURE DIR ENTRIES\n";
    return 2;
  }
  std::string captures = argv[1], dir = argv[2];
  uint64_t total = std::stoull(argv[3]);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Collect source;
  collect(captures, source);
  StoreSettings s;
  s.dir = dir + "/store";
  s.max_bytes = uint64_t(200) << 30;
  s.max_age_us = INT64_MAX / 4;
  bench_append(source, s, total);
  bench_peer(source, dir, total);
  bench_queries(s, dir, total);
  std::filesystem::remove_all(dir);
  return 0;
}
