#include "api/server.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

#include "api/sessions.h"

namespace trawl::api {

namespace {

namespace websocket = beast::websocket;

http::response<http::string_body> to_response(const Reply& r, unsigned version, bool keep_alive,
                                              bool head) {
  http::response<http::string_body> res{http::status(r.status), version};
  res.set(http::field::server, "trawl");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  if (head) res.body().clear();  // the length stays that of the GET
  return res;
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, const ServerContext& context)
      : stream_(std::move(socket)), slot_(context.counters), context_(context) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(std::uint32_t(limits().header_bytes));
    parser_->body_limit(64 * 1024);  // only GET is served: a body is read and ignored
    stream_.expires_after(limits().idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  const ServerLimits& limits() const { return context_.settings.limits; }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof ||
        ec == net::error::operation_aborted)
      return close();
    if (ec) {  // not HTTP, or too large: say so, then close
      int status = ec == http::error::header_limit ? 431 : 400;
      return write(to_response(error_reply(status, "malformed HTTP request: " + ec.message()), 11,
                               false, false));
    }
    Request req = parser_->release();
    try {
      dispatch_request(std::move(req));
    } catch (const std::exception& e) {
      // One request failed: it alone gets the error; the worker goes on.
      ++context_.counters.server_errors;
      write(to_response(error_reply(500, std::string("internal error: ") + e.what()), 11, false,
                        false));
    }
  }

  void dispatch_request(Request req) {
    Dispatch d = dispatch(context_, req);
    switch (d.kind) {
      case Dispatch::Kind::kReply:
        return write(to_response(d.reply, req.version(), d.keep_alive, d.head));
      case Dispatch::Kind::kStream:
        stream_.expires_never();
        return start_stream_session(stream_.release_socket(), std::move(slot_), context_,
                                    std::move(req));
      case Dispatch::Kind::kSliced:
        common_headers_ = std::move(d.reply.headers);
        return start_sliced(std::move(d.sliced), req.version(), d.keep_alive, d.head);
    }
  }

  // A reply made on the query pool a slice at a time; sent as it comes
  // (chunked), each slice once the previous one is written.
  void start_sliced(std::unique_ptr<SlicedReply> sliced, unsigned version, bool keep_alive,
                    bool head) {
    sliced_ = std::move(sliced);
    cancel_ = std::make_shared<Cancellation>(Cancellation::Clock::now() + limits().query_timeout);
    version_ = version;
    keep_alive_ = keep_alive;
    head_ = head;
    sent_head_ = false;
    run_slice();
  }

  void run_slice() {
    stream_.expires_never();
    auto out = std::make_shared<std::string>();
    std::shared_ptr<SlicedReply> sliced = sliced_;
    std::shared_ptr<Cancellation> cancel = cancel_;
    const ServerLimits& l = limits();
    bool queued = context_.pool.submit([self = shared_from_this(), out, sliced, cancel, &l] {
      bool done = true;
      std::string error;
      try {
        SliceBudget budget{*cancel, Cancellation::Clock::now() + l.slice_time, l.slice_bytes};
        done = sliced->next(*out, budget);
      } catch (const std::exception& e) {
        error = e.what();
      }
      net::post(self->stream_.get_executor(),
                [self, out, done, error] { self->on_slice(out, done, error); });
    });
    if (!queued) {
      ++context_.counters.queries_rejected;
      if (!sent_head_) {
        Reply r = error_reply(503, "the worker is busy with other queries: try again");
        r.headers["Retry-After"] = "1";
        return write(to_response(r, version_, keep_alive_, head_));
      }
      return close();  // an answer under way cannot change its status
    }
    watch_for_close();
  }

  void on_slice(const std::shared_ptr<std::string>& out, bool done, const std::string& error) {
    if (!error.empty()) {
      ++context_.counters.server_errors;
      if (sent_head_) return close();
      return write(
          to_response(error_reply(500, "internal error: " + error), version_, false, false));
    }
    if (sent_head_) return write_chunk(out, done);
    sent_head_ = true;
    if (done || head_) {  // the whole answer in one slice (or only its head)
      if (!done) cancel_->cancel();
      Reply r;
      r.status = sliced_->status;
      r.content_type = sliced_->content_type;
      r.headers = sliced_->headers;
      r.headers.insert(common_headers_.begin(), common_headers_.end());
      r.body = std::move(*out);
      return write(to_response(r, version_, keep_alive_, head_));
    }
    auto res =
        std::make_shared<http::response<http::empty_body>>(http::status(sliced_->status), version_);
    res->set(http::field::server, "trawl");
    res->set(http::field::content_type, sliced_->content_type);
    for (const auto& [k, v] : sliced_->headers) res->set(k, v);
    for (const auto& [k, v] : common_headers_) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(limits().write_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, out](beast::error_code ec, size_t) {
          if (ec) return self->write_failed(ec);
          self->write_chunk(out, false);
        });
  }

  void write_chunk(const std::shared_ptr<std::string>& out, bool done) {
    if (out->empty()) return done ? write_last_chunk() : run_slice();  // an empty chunk ends a body
    stream_.expires_after(limits().write_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(*out)),
                     [self = shared_from_this(), out, done](beast::error_code ec, size_t) {
                       if (ec) return self->write_failed(ec);
                       if (done) return self->write_last_chunk();
                       self->run_slice();
                     });
  }

  void write_last_chunk() {
    stream_.expires_after(limits().write_timeout);
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->write_failed(ec);
                       self->end_sliced();
                       if (self->keep_alive_) return self->read();
                       self->close();
                     });
  }

  void end_sliced() {
    sliced_.reset();
    cancel_.reset();
    stop_watching();
  }

  void write_failed(beast::error_code ec) {
    if (ec == beast::error::timeout) ++context_.counters.slow_clients_cut;
    if (cancel_) cancel_->cancel();
    close();
  }

  // While the pool works for this client, a client that goes away cancels the work.
  void watch_for_close() {
    if (watching_) return;
    watching_ = true;
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(),
                                                         gen = watch_gen_](beast::error_code ec) {
      if (gen != self->watch_gen_) return;
      self->watching_ = false;
      if (ec || !self->cancel_) return;
      char c;
      ssize_t n = ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        self->cancel_->cancel();  // closed or reset
      // Otherwise the client's next request: it waits for this answer.
    });
  }

  void stop_watching() {
    if (!watching_) return;
    ++watch_gen_;
    watching_ = false;
    beast::error_code ec;
    stream_.socket().cancel(ec);
  }

  void write(http::response<http::string_body> res) {
    end_sliced();
    auto shared = std::make_shared<http::response<http::string_body>>(std::move(res));
    bool keep = shared->keep_alive();
    stream_.expires_after(limits().write_timeout);
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared, keep](beast::error_code ec, size_t) {
                        if (ec == beast::error::timeout) ++self->context_.counters.slow_clients_cut;
                        if (ec || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    if (cancel_) cancel_->cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  ConnectionSlot slot_;
  const ServerContext& context_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The sliced reply under way.
  std::shared_ptr<SlicedReply> sliced_;
  std::shared_ptr<Cancellation> cancel_;
  std::map<std::string, std::string> common_headers_;
  unsigned version_ = 11;
  bool keep_alive_ = false, head_ = false, sent_head_ = false;
  bool watching_ = false;
  uint64_t watch_gen_ = 0;
};

// More descriptors, where the hard limit allows: each client is one.
void raise_descriptor_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

AccessSettings access_settings(const ServerSettings& s) {
  AccessSettings a;
  a.token = s.token;
  a.allowed_origins = s.allowed_origins;
  a.allowed_hosts = s.allowed_hosts;
  return a;
}

}  // namespace

struct Server::Impl {
  Impl(Backend& b, ServerSettings s)
      : settings(std::move(s)),
        policy(access_settings(settings)),
        context{b, settings, policy, pool, counters},
        acceptor(io),
        retry(io),
        pool(settings.limits.query_threads, settings.limits.max_waiting_queries) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors (or another passing fault): the connection stays in
        // the backlog; try again shortly instead of spinning on it.
        ++counters.accept_errors;
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code e) {
          if (!e) accept();
        });
        return;
      }
      if (counters.connections >= settings.limits.max_connections) {
        ++counters.connections_refused;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<HttpSession>(std::move(socket), context)->read();
      }
      accept();
    });
  }

  // Sessions (owned by io's handlers) use the context: it outlives io. The
  // pool's jobs post to io: the pool stops first.
  ServerSettings settings;
  AccessPolicy policy;
  ApiCounters counters;
  ServerContext context;
  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer retry;
  QueryPool pool;
};

Server::Server(Worker& worker, ServerSettings settings)
    : worker_backend_(std::make_unique<WorkerBackend>(worker)) {
  open(*worker_backend_, std::move(settings));
}

Server::Server(Backend& backend, ServerSettings settings) {
  open(backend, std::move(settings));
}

void Server::open(Backend& backend, ServerSettings settings) {
  try {
    impl_ = std::make_unique<Impl>(backend, std::move(settings));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  raise_descriptor_limit();
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
    impl_->retry.cancel();
    impl_->io.stop();
  });
}

uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace trawl::api
