#include "kube/api_client.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <array>
#include <limits>

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on

namespace trawl::kube {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

struct ServerUrl {
  bool tls = true;
  std::string host, port, prefix;  // prefix: the server URL's path, before every target
};

ServerUrl parse_server(const std::string& server) {
  ServerUrl u;
  std::string_view rest = server;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7), u.tls = false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.prefix = std::string(rest.substr(slash));
  while (u.prefix.ends_with("/")) u.prefix.pop_back();
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    u.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[')
    authority = authority.substr(1, authority.size() - 2);
  u.host = std::string(authority);
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.host.empty()) throw std::runtime_error("no host in server URL " + server);
  return u;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

struct ApiClient::Impl {
  const ClusterAccess& access;
  Credentials& credentials;
  ServerUrl url;
  net::io_context ioc;
  std::atomic<bool> stopping{false};

  Impl(const ClusterAccess& a, Credentials& c)
      : access(a), credentials(c), url(parse_server(a.server)) {}

  // Runs what was started until it completes; throws Stopped when stop() came first.
  void drive() {
    ioc.restart();
    if (stopping) throw Stopped();
    ioc.run();
    if (stopping) throw Stopped();
  }

  [[noreturn]] void fail(const char* what, const beast::error_code& ec) {
    throw TransportError(std::string(what) + " " + url.host + ":" + url.port + ": " +
                         (ec == beast::error::timeout ? "timed out" : ec.message()));
  }

  ssl::context tls_context(const Credential& c) {
    ssl::context ctx(ssl::context::tls_client);
    try {
      if (!access.ca_pem.empty())
        ctx.add_certificate_authority(net::buffer(access.ca_pem));
      else
        ctx.set_default_verify_paths();
      ctx.set_verify_mode(access.insecure_skip_tls_verify ? ssl::verify_none : ssl::verify_peer);
      if (!c.cert_pem.empty()) {
        ctx.use_certificate_chain(net::buffer(c.cert_pem));
        ctx.use_private_key(net::buffer(c.key_pem), ssl::context::pem);
      }
    } catch (const boost::system::system_error& e) {
      throw TransportError(std::string("TLS setup (CA, client certificate or key): ") + e.what());
    }
    return ctx;
  }

  // SNI and the name the server's certificate must carry (an address too).
  void name_server(SSL* ssl) {
    std::string name = access.tls_server_name.empty() ? url.host : access.tls_server_name;
    if (!is_ip(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (access.insecure_skip_tls_verify) return;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip(name))
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
  }

  void connect(beast::tcp_stream& s, std::chrono::milliseconds timeout) {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) fail("cannot resolve", ec);
    s.expires_after(timeout);
    s.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    drive();
    if (ec) fail("cannot connect to", ec);
  }

  void handshake(beast::ssl_stream<beast::tcp_stream>& s, std::chrono::milliseconds timeout) {
    name_server(s.native_handle());
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(timeout);
    s.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    drive();
    if (ec) fail("TLS handshake with", ec);
  }

  http::request<http::empty_body> request(const std::string& target, const Credential& c) {
    http::request<http::empty_body> req{http::verb::get, url.prefix + target, 11};
    bool v6 = url.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + url.port);
    req.set(http::field::user_agent, "trawl");
    req.set(http::field::accept, "application/json");
    if (!c.token.empty()) req.set(http::field::authorization, "Bearer " + c.token);
    return req;
  }

  // Opens a connection (TLS or not) and calls use(stream) with it.
  template <class Use>
  auto with_connection(std::chrono::milliseconds timeout, const Credential& c, Use use) {
    if (!url.tls) {
      beast::tcp_stream s(ioc);
      connect(s, timeout);
      return use(s);
    }
    ssl::context ctx = tls_context(c);
    beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
    connect(beast::get_lowest_layer(s), timeout);
    handshake(s, timeout);
    return use(s);
  }

  template <class Stream, class Request>
  void send(Stream& s, Request& req, std::chrono::milliseconds timeout) {
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(timeout);
    http::async_write(s, req, [&](beast::error_code e, size_t) { ec = e; });
    drive();
    if (ec) fail("cannot send to", ec);
  }

  template <class Stream, class Request>
  std::pair<int, std::string> get_on(Stream& s, Request& req, std::chrono::milliseconds timeout,
                                     size_t max_body) {
    send(s, req, timeout);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(timeout);
    http::async_read(s, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    drive();
    if (ec) fail("no whole answer from", ec);
    auto res = parser.release();
    return {int(res.result_int()), std::move(res.body())};
  }

  // The request with Host and Authorization after its first line.
  std::string with_host_and_auth(const std::string& request, const Credential& c) {
    auto head = this->request("/", c);
    std::string added;
    for (const auto& field : head)
      if (field.name() == http::field::host || field.name() == http::field::authorization)
        added += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    size_t line_end = request.find("\r\n");
    if (line_end == std::string::npos) throw TransportError("a request without a first line");
    return request.substr(0, line_end + 2) + added + request.substr(line_end + 2);
  }

  // Copies what `from` reads to `to` until it ends; `idle` of nothing ends both.
  template <class From, class To>
  void pump(From& from, To& to, std::array<char, 64 * 1024>& buffer, beast::tcp_stream& timer,
            std::chrono::milliseconds idle, bool& over) {
    timer.expires_after(idle);
    from.async_read_some(net::buffer(buffer), [&, idle](beast::error_code ec, size_t n) {
      if (ec || over) return void(over = true);
      net::async_write(to, net::buffer(buffer.data(), n), [&, idle](beast::error_code ec, size_t) {
        if (ec || over) return void(over = true);
        pump(from, to, buffer, timer, idle, over);
      });
    });
  }

  template <class Stream>
  void relay_on(Stream& s, const std::string& request, int local_fd,
                std::chrono::milliseconds idle) {
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(idle);
    net::async_write(s, net::buffer(request), [&](beast::error_code e, size_t) { ec = e; });
    drive();
    if (ec) fail("cannot send to", ec);
    tcp::socket local(ioc);
    local.assign(tcp::v4(), ::dup(local_fd), ec);  // ours to close; the caller keeps its own
    if (ec) throw TransportError("the local connection: " + ec.message());
    std::array<char, 64 * 1024> up{}, down{};
    bool over = false;
    pump(s, local, down, beast::get_lowest_layer(s), idle, over);
    pump(local, s, up, beast::get_lowest_layer(s), idle, over);
    while (!over && !stopping) {
      ioc.restart();
      ioc.run_one();
    }
    beast::get_lowest_layer(s).socket().shutdown(tcp::socket::shutdown_both, ec);
    local.shutdown(tcp::socket::shutdown_both, ec);
    ioc.restart();
    ioc.run();  // the other direction's handlers end with errors now: none may outlive this
    if (stopping) throw Stopped();
  }

  template <class Stream>
  int stream_on(Stream& s, http::request<http::empty_body>& req, std::chrono::milliseconds idle,
                const std::function<bool(std::string_view)>& on_bytes, std::string& error_body) {
    send(s, req, idle);
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    // Unlimited; not boost::none, which Beast 1.74 takes as less than any Content-Length.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(idle);
    http::async_read_header(s, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    drive();
    if (ec) fail("no answer from", ec);
    int status = int(parser.get().result_int());
    std::vector<char> chunk(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::get_lowest_layer(s).expires_after(idle);
      // Whatever has come: an event must not wait for the buffer to fill.
      http::async_read_some(s, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
      drive();
      if (ec == http::error::need_buffer) ec = {};
      if (ec) fail("watch cut off by", ec);
      std::string_view got(chunk.data(), chunk.size() - parser.get().body().size);
      if (status != 200) {
        if (error_body.size() < 64 * 1024) error_body.append(got);
      } else if (!got.empty() && !on_bytes(got)) {
        break;
      }
    }
    return status;
  }
};

ApiClient::ApiClient(const ClusterAccess& access, Credentials& credentials)
    : impl_(std::make_unique<Impl>(access, credentials)) {}

ApiClient::~ApiClient() = default;

std::pair<int, std::string> ApiClient::get(const std::string& target,
                                           std::chrono::milliseconds timeout, size_t max_body) {
  Credential c = impl_->credentials.current();
  auto req = impl_->request(target, c);
  return impl_->with_connection(timeout, c,
                                [&](auto& s) { return impl_->get_on(s, req, timeout, max_body); });
}

int ApiClient::stream(const std::string& target, std::chrono::milliseconds idle,
                      const std::function<bool(std::string_view)>& on_bytes,
                      std::string& error_body) {
  Credential c = impl_->credentials.current();
  auto req = impl_->request(target, c);
  return impl_->with_connection(
      idle, c, [&](auto& s) { return impl_->stream_on(s, req, idle, on_bytes, error_body); });
}

std::pair<int, std::string> ApiClient::call(std::string_view method, const std::string& target,
                                            const std::string& body,
                                            const std::string& content_type,
                                            std::chrono::milliseconds timeout) {
  Credential c = impl_->credentials.current();
  auto head = impl_->request(target, c);
  http::request<http::string_body> req{
      http::string_to_verb(beast::string_view(method.data(), method.size())), head.target(), 11};
  for (const auto& field : head) req.set(field.name_string(), field.value());
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  return impl_->with_connection(
      timeout, c, [&](auto& s) { return impl_->get_on(s, req, timeout, size_t(64) << 20); });
}

void ApiClient::relay(const std::string& request, int local_fd, std::chrono::milliseconds idle) {
  Credential c = impl_->credentials.current();
  std::string whole = impl_->with_host_and_auth(request, c);
  impl_->with_connection(idle, c, [&](auto& s) {
    impl_->relay_on(s, whole, local_fd, idle);
    return 0;
  });
}

void ApiClient::stop() {
  impl_->stopping = true;
  impl_->ioc.stop();
}

}  // namespace trawl::kube
