// A worker: live capture (or a capture file) -> one pipeline per thread ->
// store, metrics and live stream; the API serves what it keeps.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/live_capture.h"
#include "kube/names_keeper.h"
#include "pipeline/pipeline.h"
#include "sinks/live_hub.h"
#include "store/packet_ring.h"
#include "store/store.h"
#include "worker/metrics.h"

namespace trawl {

struct WorkerSettings {
  std::string data_dir;
  LiveCaptureSettings capture;
  StoreSettings store;                 // its dir is <data_dir>/entries
  uint64_t packet_bytes = 512u << 20;  // the packet ring, over every thread
  size_t packet_buffers =
      64;  // its buffers in memory (1 MiB each), over every thread (32 each at most)
  bool keep_packets = true;
  PipelineSettings pipeline;
  int commit_interval_ms = 200;  // entries are durable (and counted so) this often
  // Live Kubernetes names (the identity stage reads its feed): in stats,
  // /metrics and /api/names.
  std::shared_ptr<kube::NamesKeeper> names;
};

class Worker {
 public:
  // Opens the store; throws std::runtime_error saying what failed.
  explicit Worker(WorkerSettings settings);
  ~Worker();

  // Live capture on every thread; throws when capture cannot start.
  void start_capture();
  // Offline: the whole file through one pipeline into the store, then committed
  // (what was read so far, when `stop` turns true first). Throws when the file
  // cannot be read.
  void ingest_file(const std::string& path, const std::atomic<bool>* stop = nullptr);
  // Stops capture, closes every flow (emitting what is pending) and commits.
  void stop();

  Store& store() { return *store_; }
  LiveHub& hub() { return hub_; }
  const EntryMetrics& metrics() const { return metrics_; }
  kube::NamesKeeper* names() const { return settings_.names.get(); }
  std::string packets_dir() const { return settings_.data_dir + "/packets"; }
  // capture (per interface), pipeline counters summed over threads, store, stream.
  Json stats() const;
  // The counters of stats() that /metrics shows, with their Prometheus names.
  static std::vector<CounterMetric> counter_metrics();

 private:
  struct Thread;

  WorkerSettings settings_;
  std::unique_ptr<SharedLimits> limits_;  // over every capture thread's pipeline
  std::unique_ptr<Store> store_;
  LiveHub hub_;
  EntryMetrics metrics_;
  // What every kept entry goes to, in order: the store (which gives it its id),
  // metrics, the live stream.
  OutputList outputs_;
  std::unique_ptr<LiveCapture> capture_;
  std::vector<std::unique_ptr<Thread>> threads_;
  mutable std::mutex stats_mutex_;
  std::vector<Json> pipeline_stats_;  // the latest snapshot of each thread's counters
  PacketRingStats ingested_packets_;  // of capture files read into the store
  int64_t started_us_ = 0;
};

}  // namespace trawl
