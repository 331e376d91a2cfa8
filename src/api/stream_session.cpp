// The live stream over WebSocket: a client sends a KFL query (text, or
// {"q": "..."}), receives matching entries as text messages; a new query
// replaces the old one.
#include <deque>

#include "api/sessions.h"
#include "entries/json_parse.h"
#include "query/kfl.h"

namespace trawl::api {

namespace {

namespace websocket = beast::websocket;

class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(tcp::socket socket, ConnectionSlot slot, const ServerContext& context)
      : ws_(std::move(socket)),
        slot_(std::move(slot)),
        context_(context),
        executor_(ws_.get_executor()) {
    ++context_.counters.stream_clients;
  }
  ~StreamSession() { --context_.counters.stream_clients; }

  void start(Request req) {
    // A client that reads nothing cannot answer pings: it is cut off after the
    // idle timeout, and whatever was queued for it goes.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = context_.settings.limits.write_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(kfl::kMaxQueryBytes + 64);  // a query, or {"q": query}
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close(ec);
      std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      self->set_query(text);
      self->read();
    });
  }

  void set_query(const std::string& message) {
    std::string q = message;
    Json parsed;
    if (!message.empty() && message[0] == '{' && parse_json(message, parsed) && parsed.is_object())
      if (const Json* v = parsed.find("q"); v && v->is_string()) q = v->str();
    kfl::CompileError error;
    auto query = kfl::Query::compile(q, error);
    Json status = Json::object();
    if (!query) {
      status.set("error", error.text());
      status.set("line", error.line);
      status.set("column", error.column);
    } else {
      if (sub_) context_.backend.unsubscribe(sub_);
      std::weak_ptr<StreamSession> weak = shared_from_this();
      StreamQueueLimits limits;
      limits.max_bytes = context_.settings.limits.stream_client_bytes;
      sub_ = context_.backend.subscribe(std::move(*query), q, limits, [weak] {
        // From a capture thread: the session's own strand does the rest.
        if (auto self = weak.lock()) net::post(self->executor_, [self] { self->drain(); });
      });
      status.set("query", q);
      ack_ = std::move(status);  // once the subscription is fed (drain)
      acked_ = false;
      return drain();
    }
    send_control(std::move(status));
  }

  void send_control(Json status) {
    if (closed_) return;
    Json wrapper = Json::object();
    wrapper.set("control", std::move(status));
    out_.push_back(std::make_shared<const std::string>(wrapper.dump()));
    if (out_.size() == 1) write();
  }

  // Moves queued entries to the socket; only when the last batch is written,
  // so a slow client backs up into its bounded queue (and skips), not memory.
  // The query is acknowledged first, once its subscription is fed: a client
  // that reads history after the acknowledgement misses nothing in between.
  void drain() {
    if (closed_ || !sub_) return;
    if (!acked_) {
      if (!sub_->ready()) return;
      acked_ = true;
      return send_control(std::move(ack_));  // its write drains again
    }
    if (!out_.empty()) return;
    uint64_t skipped = sub_->skipped();
    if (skipped != reported_skipped_) {
      reported_skipped_ = skipped;
      Json status = Json::object();
      status.set("skipped", skipped);
      Json wrapper = Json::object();
      wrapper.set("control", std::move(status));
      out_.push_back(std::make_shared<const std::string>(wrapper.dump()));
    }
    for (auto& e : sub_->take()) out_.push_back(std::move(e));
    if (!out_.empty()) write();
  }

  void write() {
    ws_.text(true);
    ws_.async_write(net::buffer(*out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec || self->closed_) return self->close(ec);
                      self->out_.pop_front();
                      if (!self->out_.empty())
                        self->write();
                      else
                        self->drain();
                    });
  }

  // A write in flight still holds its text: the queue goes with the session.
  void close(beast::error_code ec) {
    if (ec == beast::error::timeout && !cut_) {
      cut_ = true;
      ++context_.counters.stream_clients_cut;
    }
    closed_ = true;
    if (sub_) context_.backend.unsubscribe(sub_);
    sub_.reset();
  }

  websocket::stream<tcp::socket> ws_;
  ConnectionSlot slot_;
  const ServerContext& context_;
  net::any_io_executor executor_;  // a strand (accepted sockets get one)
  beast::flat_buffer in_;
  std::deque<SharedText> out_;
  std::shared_ptr<LiveSubscription> sub_;
  uint64_t reported_skipped_ = 0;
  Json ack_;  // the query's acknowledgement, until the subscription is ready
  bool acked_ = true;
  bool cut_ = false, closed_ = false;
};

}  // namespace

void start_stream_session(tcp::socket socket, ConnectionSlot slot, const ServerContext& context,
                          Request request) {
  std::make_shared<StreamSession>(std::move(socket), std::move(slot), context)
      ->start(std::move(request));
}

}  // namespace trawl::api
