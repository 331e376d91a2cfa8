#include "hub/streams.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "entries/json_parse.h"
#include "hub/merge.h"

namespace trawl::hub {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string with_hub_id(std::string_view text, std::string_view member) {
  constexpr std::string_view kStart = R"({"id":")";
  if (!text.starts_with(kStart)) return std::string(text);
  return std::string(kStart) + std::string(member) + "~" + std::string(text.substr(kStart.size()));
}

struct Streams::Io {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
};

// One member's stream for one client, on the hub's stream thread.
class Upstream : public std::enable_shared_from_this<Upstream> {
 public:
  Upstream(net::io_context& io, const Member& m, const std::string& token, std::string query,
           std::weak_ptr<LiveSubscription> sub)
      : io_(io),
        resolver_(io),
        retry_(io),
        ack_wait_(io),
        member_(m),
        token_(m.token.empty() ? token : m.token),
        query_(std::move(query)),
        sub_(std::move(sub)) {}

  void start() {
    if (stopped_) return;
    if (!settled_) {
      ack_wait_.expires_after(kAckWait);
      ack_wait_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->settled();
      });
    }
    member_skipped_ = 0;  // a new stream counts from zero
    ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(io_);
    resolver_.async_resolve(
        member_.url.host, member_.url.port,
        [self = shared_from_this()](beast::error_code ec, auto results) {
          if (ec) return self->again();
          beast::get_lowest_layer(*self->ws_).expires_after(std::chrono::seconds(5));
          beast::get_lowest_layer(*self->ws_)
              .async_connect(results, [self](beast::error_code ec, auto) { self->handshake(ec); });
        });
  }

  void stop() {
    stopped_ = true;
    retry_.cancel();
    ack_wait_.cancel();
    if (ws_) beast::get_lowest_layer(*ws_).close();
  }

 private:
  void handshake(beast::error_code ec) {
    if (ec) return again();
    beast::get_lowest_layer(*ws_).expires_never();
    ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_->set_option(websocket::stream_base::decorator([token = token_](websocket::request_type& r) {
      r.set(http::field::user_agent, "trawl-hub");
      if (!token.empty()) r.set(http::field::authorization, "Bearer " + token);
    }));
    ws_->read_message_max(64 << 20);
    ws_->async_handshake(
        member_.url.authority(), "/api/stream", [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->again();
          self->ws_->text(true);
          self->ws_->async_write(net::buffer(self->query_), [self](beast::error_code ec, size_t) {
            if (ec) return self->again();
            self->read();
          });
        });
  }

  void read() {
    ws_->async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->again();
      auto data = self->buffer_.cdata();
      std::string_view text(static_cast<const char*>(data.data()), data.size());
      auto sub = self->sub_.lock();
      if (!sub) return;
      if (!text.starts_with(R"({"control")"))
        sub->push(std::make_shared<const std::string>(with_hub_id(text, self->member_.name)));
      else
        self->on_control(text, *sub);
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  // The member's acknowledgement (or refusal) of the query: its stream is on.
  // What it skipped before it reached the hub is the client's loss too: its
  // running total's growth is added to the client's.
  void on_control(std::string_view control, LiveSubscription& sub) {
    Json c;
    const Json* body;
    if (!parse_json(control, c) || !(body = c.find("control")) || !body->is_object()) return;
    if (body->find("query") || body->find("error")) settled();
    const Json* skipped = body->find("skipped");
    if (!skipped || !skipped->is_int() || skipped->integer() < 0) return;
    uint64_t total = uint64_t(skipped->integer());
    if (total > member_skipped_) sub.add_skipped(total - member_skipped_);
    member_skipped_ = std::max(member_skipped_, total);
  }

  // The client's query is acknowledged once every member's stream is on, or
  // has failed once, or kAckWait passed: a member down does not hold it.
  void settled() {
    if (settled_) return;
    settled_ = true;
    ack_wait_.cancel();
    if (auto sub = sub_.lock()) sub->source_ready();
  }

  // The member went away (or was never there): try again in a second.
  void again() {
    settled();
    if (stopped_) return;
    buffer_.consume(buffer_.size());
    retry_.expires_after(std::chrono::seconds(1));
    retry_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->start();
    });
  }

  net::io_context& io_;
  tcp::resolver resolver_;
  static constexpr auto kAckWait = std::chrono::seconds(3);
  net::steady_timer retry_, ack_wait_;
  const Member member_;
  const std::string token_;
  std::string query_;
  std::weak_ptr<LiveSubscription> sub_;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  uint64_t member_skipped_ = 0;  // the member's running total on this stream
  bool stopped_ = false, settled_ = false;
};

Streams::Streams(std::string token) : token_(std::move(token)), io_(std::make_unique<Io>()) {
  thread_ = std::thread([this] { io_->io.run(); });
}

Streams::~Streams() {
  net::post(io_->io, [this] {
    for (auto& [_, ups] : upstreams_)
      for (auto& u : ups) u->stop();
    upstreams_.clear();
    io_->work.reset();
  });
  thread_.join();
}

std::shared_ptr<LiveSubscription> Streams::subscribe(kfl::Query query, const std::string& text,
                                                     StreamQueueLimits limits,
                                                     std::function<void()> wake,
                                                     const std::vector<Member>& members) {
  auto sub = std::make_shared<LiveSubscription>(std::move(query), limits, std::move(wake));
  sub->wait_for_sources(int(members.size()));
  net::post(io_->io,
            [this, sub = std::weak_ptr<LiveSubscription>(sub), key = sub.get(), text, members] {
              auto& ups = upstreams_[key];
              for (const Member& m : members) {
                ups.push_back(std::make_shared<Upstream>(io_->io, m, token_, text, sub));
                ups.back()->start();
              }
            });
  return sub;
}

void Streams::unsubscribe(const std::shared_ptr<LiveSubscription>& sub) {
  net::post(io_->io, [this, key = sub.get()] {
    auto it = upstreams_.find(key);
    if (it == upstreams_.end()) return;
    for (auto& u : it->second) u->stop();
    upstreams_.erase(it);
  });
}

}  // namespace trawl::hub
