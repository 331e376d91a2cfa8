#include "flows/byte_streams.h"

#include <string>

namespace trawl {

class ByteStreams::Marker : public EntrySink {
 public:
  Marker(EntrySink& out, const ByteStreamSettings& settings) : out_(out), settings_(settings) {}
  void emit(Entry&& e) override {
    if (settings_.tls) e.tls = true;
    if (!settings_.source.empty())
      e.context.set(ContextField::kCaptureSource, Json(settings_.source));
    out_.emit(std::move(e));
  }

 private:
  EntrySink& out_;
  const ByteStreamSettings& settings_;
};

struct ByteStreams::Connection {
  FlowContext flow;  // the session keeps a reference: the connection never moves
  std::optional<StreamSession> session;
};

ByteStreams::ByteStreams(EntrySink& sink, DissectCounters& counters,
                         const DissectorSettings& dissect, ByteStreamSettings settings)
    : counters_(counters), dissect_(dissect), settings_(std::move(settings)) {
  marker_ = std::make_unique<Marker>(sink, settings_);
}

ByteStreams::~ByteStreams() = default;

ByteStreams::Connection* ByteStreams::find(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void ByteStreams::open(uint64_t id, const EntryEndpoint& client, const EntryEndpoint& server,
                       int64_t ts) {
  if (find(id)) close(id, ts);  // the source reused the id: the old connection has ended
  if (connections_.size() >= settings_.max_connections && !by_stream_.empty()) {
    ++evicted_;
    close(by_stream_.begin()->second, ts);
  }
  auto c = std::make_unique<Connection>();
  uint64_t stream = next_stream_++;
  c->flow.stream = std::to_string(stream);
  c->flow.layer4 = "tcp";
  c->flow.a = client;
  c->flow.b = server;
  c->session.emplace(c->flow, kOverTcp, *marker_, counters_, dissect_, settings_.probe_attempts);
  by_stream_[stream] = id;
  connections_[id] = std::move(c);
}

void ByteStreams::data(uint64_t id, Direction dir, Bytes bytes, int64_t ts) {
  last_us_ = ts;
  if (!find(id)) open(id, {}, {}, ts);
  if (!bytes.empty()) find(id)->session->on_data(dir, bytes, ts);
}

void ByteStreams::gap(uint64_t id, Direction dir, uint64_t length, int64_t ts) {
  if (Connection* c = find(id)) c->session->on_gap(dir, length, ts);
}

void ByteStreams::close(uint64_t id, int64_t ts) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  std::unique_ptr<Connection> c = std::move(it->second);
  connections_.erase(it);
  by_stream_.erase(std::stoull(c->flow.stream));
  c->session->on_close(ts);
}

void ByteStreams::finish() {
  while (!by_stream_.empty()) close(by_stream_.begin()->second, last_us_);
}

}  // namespace trawl
