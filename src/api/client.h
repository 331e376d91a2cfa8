// A client of a worker's API (trawl query, trawl tail).
#pragma once

#include <functional>
#include <string>
#include <utility>

namespace trawl::api {

struct ServerUrl {
  std::string host = "127.0.0.1";
  std::string port = "8899";
  // "http://host:port", "host:port" or "host"; false with a reason otherwise.
  static bool parse(std::string_view url, ServerUrl& out, std::string& error);
  // The Host header: "host:port", an IPv6 address in brackets.
  std::string authority() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  }
};

std::string url_encode(std::string_view s);

// GET `target`; the status and body. Throws std::runtime_error when the worker
// cannot be reached.
std::pair<int, std::string> http_get(const ServerUrl& server, const std::string& target,
                                     const std::string& token);

// Opens the live stream with `query` and hands every message to `on_message`
// until it returns false or the connection ends. Throws when it cannot connect.
void stream(const ServerUrl& server, const std::string& query, const std::string& token,
            const std::function<bool(const std::string&)>& on_message);

}  // namespace trawl::api
