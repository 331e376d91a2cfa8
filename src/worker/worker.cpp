#include "worker/worker.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>

#include "base/clock.h"

namespace trawl {

struct Worker::Thread {
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<PacketRing> ring;
  std::thread thread;
};

Worker::Worker(WorkerSettings settings) : settings_(std::move(settings)) {
  const PipelineSettings& p = settings_.pipeline;
  limits_ = std::make_unique<SharedLimits>(p.memory_bytes, p.flows.max_flows,
                                           p.flows.reassembly.max_bytes);
  settings_.pipeline.shared = limits_.get();
  settings_.store.dir = settings_.data_dir + "/entries";
  store_ = std::make_unique<Store>(settings_.store);
  outputs_.add(*store_);
  outputs_.add(metrics_);
  outputs_.add(hub_);
  started_us_ = wall_clock_us();
}

Worker::~Worker() {
  stop();
}

void Worker::start_capture() {
  capture_ = std::make_unique<LiveCapture>(settings_.capture);
  int n = capture_->threads();
  pipeline_stats_.assign(size_t(n), Json());
  for (int t = 0; t < n; ++t) {
    auto th = std::make_unique<Thread>();
    th->pipeline = std::make_unique<Pipeline>(outputs_, settings_.pipeline);
    th->pipeline->number_streams(uint64_t(n), uint64_t(t));  // one worker, distinct ids
    if (settings_.keep_packets) {
      PacketRingSettings ring;
      ring.dir = packets_dir();
      ring.max_bytes = settings_.packet_bytes / uint64_t(n);
      ring.max_buffers = std::clamp<size_t>(settings_.packet_buffers / size_t(n), 4, 32);
      ring.file_bytes = std::max<uint64_t>(1 << 20, ring.max_bytes / 16);
      th->ring = std::make_unique<PacketRing>(ring, t);
    }
    threads_.push_back(std::move(th));
  }
  for (int t = 0; t < n; ++t) {
    Thread* th = threads_[size_t(t)].get();
    th->thread = std::thread([this, th, t] {
      pthread_setname_np(pthread_self(),
                         ("trawl-capture" + std::to_string(t)).substr(0, 15).c_str());
      int64_t last_snapshot = 0;
      capture_->run(
          t,
          [th](const Frame& f) {
            if (th->ring) th->ring->add(f);
            th->pipeline->add(f);
          },
          [this, th, t, &last_snapshot](int64_t now) {
            th->pipeline->tick(now);
            if (th->ring) th->ring->flush();
            if (now - last_snapshot >= 500'000) {
              Json s = th->pipeline->stats();
              std::lock_guard lock(stats_mutex_);
              pipeline_stats_[size_t(t)] = std::move(s);
              last_snapshot = now;
            }
          });
      th->pipeline->finish();
      if (th->ring) th->ring->flush();
      std::lock_guard lock(stats_mutex_);
      pipeline_stats_[size_t(t)] = th->pipeline->stats();
    });
  }
  store_->commit_every(std::chrono::milliseconds(settings_.commit_interval_ms));
}

void Worker::ingest_file(const std::string& path, const std::atomic<bool>* stop) {
  PcapSource source(path);
  Decoder::check_link_type(source.link_type());
  Pipeline pipeline(outputs_, settings_.pipeline);
  std::unique_ptr<PacketRing> ring;
  if (settings_.keep_packets) {
    PacketRingSettings rs;
    rs.dir = packets_dir();
    rs.max_bytes = settings_.packet_bytes;
    ring = std::make_unique<PacketRing>(rs, 0);
  }
  Frame frame;
  while ((!stop || !stop->load(std::memory_order_relaxed)) && source.next(frame)) {
    if (ring) ring->add(frame);
    pipeline.add(frame);
  }
  pipeline.finish();
  if (ring) ring->close();  // its counts final before they are read
  store_->commit();
  std::lock_guard lock(stats_mutex_);
  pipeline_stats_.push_back(pipeline.stats());
  if (ring) ingested_packets_ += ring->stats();
}

void Worker::stop() {
  if (capture_) capture_->stop();
  for (auto& th : threads_)
    if (th->thread.joinable()) th->thread.join();
  if (!store_) return;
  try {
    store_->commit();
  } catch (const std::exception& e) {
    // A full or failing disk at the end: those entries are counted lost; the
    // stop goes on (what was committed stays committed).
    std::fprintf(stderr, "trawl: %s\n", e.what());
  }
}

Json Worker::stats() const {
  Json out = Json::object();
  out.set("uptimeSeconds", (wall_clock_us() - started_us_) / 1000000);
  Json interfaces = Json::array();
  uint64_t kernel_drops = 0, interface_drops = 0;
  if (capture_) {
    for (const auto& s : capture_->stats()) {
      Json i = Json::object();
      i.set("name", s.name);
      i.set("received", s.received);
      i.set("kernel_drops", s.kernel_drops);
      i.set("interface_drops", s.interface_drops);
      kernel_drops += s.kernel_drops;
      interface_drops += s.interface_drops;
      interfaces.push(std::move(i));
    }
  }
  Json live = Json::object();
  live.set("threads", capture_ ? capture_->threads() : 0);
  live.set("interfaces", std::move(interfaces));
  live.set("kernel_drops", kernel_drops);
  live.set("interface_drops", interface_drops);
  out.set("live", std::move(live));
  Json pipeline;
  {
    std::lock_guard lock(stats_mutex_);
    for (const Json& s : pipeline_stats_) Pipeline::add_stats(pipeline, s);
  }
  if (pipeline.is_null()) pipeline = Json::object();
  for (auto& [key, value] : pipeline.fields_mut()) out.set(key, std::move(value));
  out.set("memory", Pipeline::limits_stats(*limits_));
  StoreStats st = store_->stats();
  put_counters(out, st);
  Json stray = Json::array();
  for (const auto& name : st.stray_files) stray.push(name);
  out["store"].set("stray_files", std::move(stray));
  if (!st.last_error.empty()) out["store"].set("last_error", st.last_error);
  Json stream = Json::object();
  stream.set("subscribers", hub_.subscribers());
  stream.set("peak_subscribers", hub_.peak_subscribers());
  stream.set("skipped", hub_.skipped());
  stream.set("held_bytes", hub_.held_bytes());
  out.set("stream", std::move(stream));
  PacketRingStats packets;
  {
    std::lock_guard lock(stats_mutex_);
    packets = ingested_packets_;
  }
  for (const auto& th : threads_)
    if (th->ring) packets += th->ring->stats();
  Json ring = Json::object();
  ring.set("enabled", settings_.keep_packets);
  out.set("packet_ring", std::move(ring));
  put_counters(out, packets);
  out["packet_ring"].set("direct_io", packets.direct_io);
  if (settings_.names) out.set("kube", settings_.names->stats(wall_clock_us()));
  return out;
}

namespace {

// The worker's own figures in /metrics (the live capture's drops, the live
// stream's skips, the memory budget's refusals), by their /api/stats place.
constexpr CounterMetric kWorkerMetrics[] = {
    {"live", "kernel_drops", "trawl_kernel_drops_total",
     "Packets the kernel dropped (capture ring full)."},
    {"live", "interface_drops", "trawl_interface_drops_total", "Packets dropped by interfaces."},
    {"stream", "skipped", "trawl_stream_skipped_total",
     "Entries not sent to live stream clients that fell behind."},
    {"memory", "refusals", "trawl_memory_budget_refusals_total",
     "Times the dissectors' memory budget refused bytes (what was dropped is in loss)."},
};

}  // namespace

std::vector<CounterMetric> Worker::counter_metrics() {
  std::vector<CounterMetric> out = Pipeline::counter_metrics();
  add_counter_metrics<PacketRingStats>(out);
  add_counter_metrics<StoreStats>(out);
  out.insert(out.end(), std::begin(kWorkerMetrics), std::end(kWorkerMetrics));
  return out;
}

}  // namespace trawl
