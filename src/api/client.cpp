#include "api/client.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <stdexcept>

namespace trawl::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool ServerUrl::parse(std::string_view url, ServerUrl& out, std::string& error) {
  if (url.starts_with("http://")) url.remove_prefix(7);
  if (url.starts_with("https://")) {
    error = "https is not supported; use http://";
    return false;
  }
  while (url.ends_with("/")) url.remove_suffix(1);
  if (url.empty()) {
    error = "empty server address";
    return false;
  }
  size_t colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']') == std::string_view::npos &&
      url.find(':') != colon) {
    colon = std::string_view::npos;  // a bare IPv6 address
  }
  out.host = std::string(url.substr(0, colon));
  if (colon != std::string_view::npos) out.port = std::string(url.substr(colon + 1));
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    error = "not a port: " + out.port;
    return false;
  }
  return true;
}

std::string url_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

tcp::resolver::results_type resolve(net::io_context& io, const ServerUrl& server) {
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto results = resolver.resolve(server.host, server.port, ec);
  if (ec) throw std::runtime_error("cannot resolve " + server.host + ": " + ec.message());
  return results;
}

[[noreturn]] void unreachable(const ServerUrl& server, const beast::error_code& ec) {
  throw std::runtime_error("cannot reach a trawl worker at " + server.host + ":" + server.port +
                           ": " + ec.message() + " (is `trawl capture` running?)");
}

}  // namespace

std::pair<int, std::string> http_get(const ServerUrl& server, const std::string& target,
                                     const std::string& token) {
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.connect(resolve(io, server), ec);
  if (ec) unreachable(server, ec);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, server.authority());
  req.set(http::field::user_agent, "trawl");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  http::write(stream, req, ec);
  if (ec) unreachable(server, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  http::read(stream, buffer, parser, ec);
  if (ec) unreachable(server, ec);
  auto res = parser.release();
  return {int(res.result_int()), std::move(res.body())};
}

void stream(const ServerUrl& server, const std::string& query, const std::string& token,
            const std::function<bool(const std::string&)>& on_message) {
  net::io_context io;
  websocket::stream<tcp::socket> ws(io);
  beast::error_code ec;
  net::connect(ws.next_layer(), resolve(io, server), ec);
  if (ec) unreachable(server, ec);
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(http::field::user_agent, "trawl");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  }));
  ws.handshake(server.authority(), "/api/stream", ec);
  if (ec) unreachable(server, ec);
  ws.write(net::buffer(query), ec);
  if (ec) unreachable(server, ec);
  beast::flat_buffer buffer;
  for (;;) {
    ws.read(buffer, ec);
    if (ec) return;
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (!on_message(text)) break;
  }
  ws.close(websocket::close_code::normal, ec);
}

}  // namespace trawl::api
