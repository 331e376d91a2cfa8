#include "api/server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <deque>
#include <stdexcept>

#include "api/routes.h"
#include "entries/json_parse.h"

namespace trawl::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kMaxQueued = 4096;  // entries waiting for one stream client

bool authorized(const http::request<http::string_body>& req, const Target& t,
                const std::string& token) {
  if (token.empty() || t.path == "/healthz") return true;
  auto it = req.find(http::field::authorization);
  if (it != req.end() && it->value() == "Bearer " + token) return true;
  // Browsers cannot set headers on a WebSocket: the token may come as a parameter.
  auto p = t.params.find("access_token");
  return p != t.params.end() && p->second == token;
}

http::response<http::string_body> to_response(const Reply& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{http::status(r.status), version};
  res.set(http::field::server, "trawl");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

// A live stream client: sends a KFL query (text, or {"q": "..."}), receives
// matching entries as text messages; a new query replaces the old one.
class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(tcp::socket socket, Worker& worker)
      : ws_(std::move(socket)), worker_(worker), executor_(ws_.get_executor()) {}

  void start(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
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
      if (sub_) worker_.hub().unsubscribe(sub_);
      std::weak_ptr<StreamSession> weak = shared_from_this();
      sub_ = worker_.hub().subscribe(std::move(*query), kMaxQueued, [weak] {
        // From a capture thread: the session's own strand does the rest.
        if (auto self = weak.lock()) net::post(self->executor_, [self] { self->drain(); });
      });
      status.set("query", q);
    }
    Json wrapper = Json::object();
    wrapper.set("control", std::move(status));
    send(wrapper.dump());
  }

  void send(std::string text) {
    out_.push_back(std::move(text));
    if (out_.size() == 1) write();
  }

  // Moves queued entries to the socket; only when the last batch is written,
  // so a slow client backs up into its bounded queue (and skips), not memory.
  void drain() {
    if (!sub_ || !out_.empty()) return;
    uint64_t skipped = sub_->skipped();
    if (skipped != reported_skipped_) {
      reported_skipped_ = skipped;
      Json status = Json::object();
      status.set("skipped", skipped);
      Json wrapper = Json::object();
      wrapper.set("control", std::move(status));
      out_.push_back(wrapper.dump());
    }
    for (auto& e : sub_->take()) out_.push_back(std::move(e));
    if (!out_.empty()) write();
  }

  void write() {
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->close();
                      self->out_.pop_front();
                      if (!self->out_.empty())
                        self->write();
                      else
                        self->drain();
                    });
  }

  void close() {
    if (sub_) worker_.hub().unsubscribe(sub_);
    sub_.reset();
  }

  websocket::stream<tcp::socket> ws_;
  Worker& worker_;
  net::any_io_executor executor_;  // a strand (accepted sockets get one)
  beast::flat_buffer in_;
  std::deque<std::string> out_;
  std::shared_ptr<LiveSubscription> sub_;
  uint64_t reported_skipped_ = 0;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, Worker& worker, const ServerSettings& settings)
      : stream_(std::move(socket)), worker_(worker), settings_(settings) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof)
      return close();
    if (ec) {  // not HTTP: say so, then close
      Reply r = error_reply(400, "malformed HTTP request: " + ec.message());
      return write(to_response(r, 11, false));
    }
    http::request<http::string_body> req = parser_->release();
    Target t;
    if (!Target::parse(std::string_view(req.target().data(), req.target().size()), t))
      return write(to_response(error_reply(400, "malformed request target"), req.version(), false));
    if (!authorized(req, t, settings_.token)) {
      Reply r = error_reply(401, "this worker needs \"Authorization: Bearer <token>\"");
      r.headers["WWW-Authenticate"] = "Bearer";
      return write(to_response(r, req.version(), req.keep_alive()));
    }
    if (websocket::is_upgrade(req)) {
      if (t.path != "/api/stream")
        return write(to_response(error_reply(404, "WebSocket is served at /api/stream"),
                                 req.version(), false));
      std::make_shared<StreamSession>(stream_.release_socket(), worker_)->start(std::move(req));
      return;
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      Reply r = error_reply(405, "only GET is served");
      r.headers["Allow"] = "GET, HEAD";
      return write(to_response(r, req.version(), req.keep_alive()));
    }
    Reply r = handle_get(worker_, t, settings_.ui_dir);
    r.headers["Access-Control-Allow-Origin"] = "*";
    auto res = to_response(r, req.version(), req.keep_alive());
    if (req.method() == http::verb::head) res.body().clear();
    write(std::move(res));
  }

  void write(http::response<http::string_body> res) {
    auto shared = std::make_shared<http::response<http::string_body>>(std::move(res));
    bool keep = shared->keep_alive();
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared, keep](beast::error_code ec, size_t) {
                        if (ec || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Worker& worker_;
  const ServerSettings& settings_;
};

}  // namespace

struct Server::Impl {
  Impl(Worker& w, ServerSettings s) : worker(w), settings(std::move(s)), acceptor(io) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (!ec) std::make_shared<HttpSession>(std::move(socket), worker, settings)->read();
      if (acceptor.is_open()) accept();
    });
  }

  Worker& worker;
  ServerSettings settings;
  net::io_context io;
  tcp::acceptor acceptor;
};

Server::Server(Worker& worker, ServerSettings settings)
    : impl_(std::make_unique<Impl>(worker, std::move(settings))) {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->settings.address, ec);
  if (ec) throw std::runtime_error("not an address: " + impl_->settings.address);
  if (!address.is_loopback() && impl_->settings.token.empty())
    throw std::runtime_error("serving on " + impl_->settings.address +
                             " needs a token (--token or TRAWL_TOKEN): only 127.0.0.1 and ::1 "
                             "are served without one");
  tcp::endpoint endpoint(address, impl_->settings.port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot serve on " + impl_->settings.address + ":" +
                             std::to_string(impl_->settings.port) + ": " + ec.message());
  impl_->accept();
}

Server::~Server() = default;

void Server::run() {
  impl_->io.run();
}

void Server::stop() {
  net::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
}

uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace trawl::api
