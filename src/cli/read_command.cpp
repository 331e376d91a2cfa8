#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "capture/pcap_source.h"
#include "cli/commands.h"
#include "cli/pipeline_options.h"
#include "cli/serve.h"
#include "pipeline/pipeline.h"
#include "pipeline/sharded_read.h"
#include "query/kfl.h"
#include "sinks/filter_sink.h"
#include "sinks/sinks.h"

namespace trawl {

namespace {

struct ReadOptions {
  std::string path;
  bool json = false;
  bool count = false;
  bool stats = false;
  PipelineOptions pipeline;
  std::string filter;
  bool serve = false;
  ServeOptions serve_options;
  unsigned threads = 0;  // 0: one per core, up to kMaxReadThreads
};

constexpr unsigned kMaxReadThreads = 4;

// Threads that dissect the capture: several only where their output is merged
// (JSON Lines or a count) and the input is a regular file (not a pipe), which
// every thread reads.
unsigned read_threads(const ReadOptions& o, const kfl::Query& query, const PcapSource& source) {
  // A limit stops at the n-th match, and ids exist once entries are in order.
  if (!(o.json || o.count) || query.limit() || query.reads_id() || !source.regular_file() ||
      !o.pipeline.proto_descriptors.empty())
    return 1;
  if (o.threads > 0) return o.threads;
  return std::clamp(std::thread::hardware_concurrency(), 1u, kMaxReadThreads);
}

// "trawl read: --filter: 1:19: expected a value after '=='", then the query
// with a caret under the column.
void print_filter_error(const std::string& query, const kfl::CompileError& e) {
  std::cerr << "trawl read: --filter: " << e.text() << "\n";
  size_t start = 0;
  for (int line = 1; line < e.line && start != std::string::npos; ++line) {
    start = query.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  if (start == std::string::npos) return;
  std::string text = query.substr(start, query.find('\n', start) - start);
  std::cerr << "  " << text << "\n  " << std::string(size_t(e.column - 1), ' ') << "^\n";
}

// A directory of this process's own for the store of `read --serve`: made by
// mkdtemp (mode 0700, a name nobody can predict or take first), removed with
// everything in it.
class PrivateDir {
 public:
  PrivateDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/trawl-read-XXXXXX";
    if (!mkdtemp(tmpl.data()))
      throw std::runtime_error("cannot make a temporary directory in " +
                               std::filesystem::temp_directory_path().string() + ": " +
                               std::strerror(errno));
    path_ = tmpl;
  }
  ~PrivateDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The capture through a worker's store, then its API: offline forensics with
// the same queries, stream and exports as live capture. A stop signal while
// the capture is read ends it there, cleanly.
int run_serve(const ReadOptions& o) {
  block_stop_signals();
  try {
    std::optional<PrivateDir> temporary;
    WorkerSettings s;
    std::unique_ptr<ProtoSchema> schema;
    apply_pipeline_options(o.pipeline, s.pipeline, schema);
    if (o.serve_options.data_dir.empty()) {
      temporary.emplace();
      s.data_dir = temporary->path();
    } else {
      s.data_dir = o.serve_options.data_dir;
    }
    Worker worker(s);
    std::atomic<bool> stop{false}, read{false};
    {
      StopSignals signals([&] {
        stop = true;
        // A read blocked on a pipe that sends nothing cannot see the flag.
        for (int i = 0; i < 20 && !read; ++i) usleep(100'000);
        if (read) return;
        temporary.reset();
        _exit(130);
      });
      worker.ingest_file(o.path, &stop);
      read = true;
    }
    if (stop) {
      std::cerr << "trawl read: stopped while reading " << o.path << "\n";
      return 130;
    }
    return serve_until_signal(
        worker, o.serve_options,
        "serving " + std::to_string(worker.store().stats().entries) + " entries of " + o.path);
  } catch (const std::exception& e) {
    std::cerr << "trawl read: " << e.what() << "\n";
    return 2;
  }
}

int run_read(const ReadOptions& o) {
  if (o.serve) return run_serve(o);
  kfl::CompileError filter_error;
  auto query = kfl::Query::compile(o.filter, filter_error);
  if (!query) {
    print_filter_error(o.filter, filter_error);
    return 2;
  }
  PipelineSettings settings;
  std::unique_ptr<ProtoSchema> schema;
  std::unique_ptr<PcapSource> source;
  try {
    apply_pipeline_options(o.pipeline, settings, schema);
    source = std::make_unique<PcapSource>(o.path);
  } catch (const std::exception& e) {
    std::cerr << "trawl read: " << e.what() << "\n";
    return 2;
  }
  try {
    Decoder::check_link_type(source->link_type());
  } catch (const std::exception& e) {
    std::cerr << "trawl read: " << o.path << ": " << e.what() << "\n";
    return 2;
  }
  if (unsigned threads = read_threads(o, *query, *source); threads > 1) {
    source.reset();  // each thread opens its own
    ShardedReadResult r;
    try {
      r = sharded_read(o.path, threads, settings, o.count ? nullptr : stdout, o.filter);
    } catch (const std::exception& e) {
      std::cerr << "trawl read: " << e.what() << "\n";
      return 2;
    }
    if (o.count)
      std::cerr << "counted " << r.entries << " entries, " << r.bytes << " bytes of JSON\n";
    int rc = 0;
    if (!r.output_error.empty()) {
      std::cerr << "trawl read: writing the output: " << r.output_error << "\n";
      rc = 1;
    }
    if (!r.input_error.empty()) {
      std::cerr << "trawl read: " << o.path << ": input ended early: " << r.input_error << "\n";
      rc = 1;
    }
    if (o.stats) Pipeline::print_stats(r.stats, std::cerr);
    return rc;
  }
  std::unique_ptr<EntrySink> sink;
  CountingSink* counting = nullptr;
  FileOutput* output = nullptr;
  if (o.count) {
    auto c = std::make_unique<CountingSink>();
    counting = c.get();
    sink = std::move(c);
  } else if (o.json) {
    auto jsonl = std::make_unique<JsonlSink>(stdout);
    output = &jsonl->output();
    sink = std::move(jsonl);
  } else {
    auto table = std::make_unique<TableSink>(stdout);
    output = &table->output();
    sink = std::move(table);
  }
  FilterSink filter(*query, *sink);
  EntrySink& first = query->matches_everything() ? *sink : filter;
  auto pipeline = std::make_unique<Pipeline>(first, settings);
  Frame frame;
  // A failed write stops the read: what follows could not be written either.
  while (!filter.done() && !(output && output->failed()) && source->next(frame))
    pipeline->add(frame);
  pipeline->finish();
  if (counting)
    std::cerr << "counted " << counting->entries() << " entries, " << counting->bytes()
              << " bytes of JSON\n";
  if (output) output->flush();
  int rc = 0;
  if (output && output->failed()) {
    std::cerr << "trawl read: writing the output: " << output->error() << "\n";
    rc = 1;
  }
  sink.reset();
  if (!source->error().empty()) {
    std::cerr << "trawl read: " << o.path << ": input ended early: " << source->error() << "\n";
    rc = 1;
  }
  if (o.stats) Pipeline::print_stats(pipeline->stats(), std::cerr);
  return rc;
}

}  // namespace

void add_read_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ReadOptions>();
  CLI::App* read = app.add_subcommand("read", "Dissect a pcap/pcapng file (or - for stdin)");
  read->add_option("file", options->path, "capture file, or - for standard input")->required();
  read->add_flag("--json", options->json, "one JSON entry per line (entry.md)");
  read->add_flag("--count", options->count,
                 "build and serialise entries but only count them (benchmarks)");
  read->add_flag("--stats", options->stats,
                 "print counters, including every kind of loss, to stderr");
  add_pipeline_options(*read, options->pipeline);
  read->add_option("--filter", options->filter,
                   "only entries matching this KFL query (../shared/spec/kfl.md), e.g. "
                   "'http and response.status >= 500'");
  read->add_option("--threads", options->threads,
                   "threads dissecting the capture, each a share of its flows (0: one per core, "
                   "up to 4); one for table output, standard input, and a --filter with "
                   "limit() or reading id")
      ->capture_default_str();
  read->add_flag("--serve", options->serve,
                 "keep the entries and serve the API on them (as `trawl capture` does)");
  read->add_option("--port", options->serve_options.port, "with --serve: API port")
      ->capture_default_str();
  read->add_option("--address", options->serve_options.address, "with --serve: API address")
      ->capture_default_str();
  add_serve_options(*read, options->serve_options);
  read->add_option("--data-dir", options->serve_options.data_dir,
                   "with --serve: keep the store here (default: a temporary one)");
  read->callback([options, &exit_code]() { exit_code = run_read(*options); });
}

}  // namespace trawl
