#include "kube/service_proxy.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <iostream>
#include <thread>

#include "kube/api_client.h"

namespace trawl::kube {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Headers not passed on: ours to set, the browser's credentials and where it
// came from (checked here; the service would refuse this origin).
bool dropped(std::string_view name) {
  static constexpr std::string_view kDropped[] = {"host",           "authorization",
                                                  "origin",         "cookie",
                                                  "connection",     "upgrade",
                                                  "content-length", "transfer-encoding",
                                                  "x-trawl-token",  "proxy-authorization",
                                                  "keep-alive"};
  std::string lower(name);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("sec-fetch-")) return true;
  for (std::string_view d : kDropped)
    if (lower == d) return true;
  return false;
}

bool local_host(std::string_view host, uint16_t port) {
  std::string p = ":" + std::to_string(port);
  return host == "localhost" + p || host == "127.0.0.1" + p || host == "[::1]" + p;
}

std::string_view view(beast::string_view v) {
  return {v.data(), v.size()};
}

void answer(tcp::socket& s, int status, const std::string& message) {
  http::response<http::string_body> res{http::status(status), 11};
  res.set(http::field::content_type, "text/plain");
  res.set(http::field::connection, "close");
  res.body() = message + "\n";
  res.prepare_payload();
  beast::error_code ec;
  http::write(s, res, ec);
}

}  // namespace

// Shared with every connection's thread, which may outlive the proxy's owner.
struct ServiceProxy::Impl : std::enable_shared_from_this<Impl> {
  const ClusterAccess access;
  ServiceProxySettings settings;
  Credentials credentials;
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};

  Impl(const ClusterAccess& a, ServiceProxySettings s)
      : access(a), settings(std::move(s)), credentials(access) {}

  // The request as the API server's proxy takes it, or "" with `why`.
  std::string upstream_request(const http::request<http::string_body>& req, std::string& why) {
    if (!local_host(view(req[http::field::host]), settings.port))
      return why = "this proxy answers requests for localhost only", "";
    std::string_view origin = view(req[http::field::origin]);
    if (!origin.empty() && origin != "http://localhost:" + std::to_string(settings.port) &&
        origin != "http://127.0.0.1:" + std::to_string(settings.port))
      return why = "requests from " + std::string(origin) + " are not passed on", "";
    bool upgrade = beast::websocket::is_upgrade(req);
    std::string out = std::string(req.method_string()) + " " + settings.service_path +
                      std::string(req.target()) + " HTTP/1.1\r\n";
    for (const auto& field : req)
      if (!dropped(view(field.name_string())))
        out += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    out += upgrade ? "Connection: Upgrade\r\nUpgrade: websocket\r\n" : "Connection: close\r\n";
    out += "X-Trawl-Token: " + settings.service_token + "\r\n";
    if (!req.body().empty()) out += "Content-Length: " + std::to_string(req.body().size()) + "\r\n";
    return out + "\r\n" + req.body();
  }

  void serve(tcp::socket s) {
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    beast::error_code ec;
    http::read(s, buffer, parser, ec);
    if (ec) return;
    std::string why, request = upstream_request(parser.get(), why);
    if (request.empty()) return answer(s, 403, why);
    try {
      ApiClient client(access, credentials);
      client.relay(request, s.native_handle(), settings.idle);
    } catch (const std::exception& e) {
      answer(s, 502, std::string("the Kubernetes API server: ") + e.what());
    }
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (stopping || !acceptor.is_open()) return;
      if (!ec)
        std::thread([self = shared_from_this(), s = std::move(s)]() mutable {
          self->serve(std::move(s));
        }).detach();
      accept();
    });
  }
};

ServiceProxy::ServiceProxy(const ClusterAccess& access, ServiceProxySettings settings)
    : impl_(std::make_shared<Impl>(access, std::move(settings))) {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->settings.address, ec);
  if (ec || !address.is_loopback())
    throw std::runtime_error("the proxy serves on a loopback address only, not " +
                             impl_->settings.address);
  tcp::endpoint endpoint(address, impl_->settings.port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot serve on " + impl_->settings.address + ":" +
                             std::to_string(impl_->settings.port) + ": " + ec.message());
  if (impl_->settings.port == 0) impl_->settings.port = a.local_endpoint().port();
  impl_->accept();
}

ServiceProxy::~ServiceProxy() = default;

void ServiceProxy::run() {
  impl_->io.run();
}

void ServiceProxy::stop() {
  net::post(impl_->io, [this] {
    impl_->stopping = true;
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
}

uint16_t ServiceProxy::port() const {
  return impl_->settings.port;
}

}  // namespace trawl::kube
