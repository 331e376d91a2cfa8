#include "hub/fan_out.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <memory>

namespace trawl::hub {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One GET, start to end on the fan-out's io_context; writes its Answer.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(net::io_context& io, const Member& m, std::string target, const std::string& token,
        net::steady_timer::time_point deadline, size_t max_body, Answer& out)
      : resolver_(io), stream_(io), member_(m), deadline_(deadline), out_(out) {
    request_ = {http::verb::get, target, 11};
    request_.set(http::field::host, m.url.authority());
    request_.set(http::field::user_agent, "trawl-hub");
    const std::string& sent = m.token.empty() ? token : m.token;
    if (!sent.empty()) request_.set(http::field::authorization, "Bearer " + sent);
    parser_.body_limit(max_body);
    parser_.header_limit(64 * 1024);
  }

  void start() {
    resolver_.async_resolve(member_.url.host, member_.url.port,
                            [self = shared_from_this()](beast::error_code ec, auto results) {
                              if (ec) return self->fail("cannot resolve", ec);
                              self->stream_.expires_at(self->deadline_);
                              self->stream_.async_connect(
                                  results, [self](beast::error_code ec, auto) { self->send(ec); });
                            });
  }

 private:
  void send(beast::error_code ec) {
    if (ec) return fail("cannot connect", ec);
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail("cannot send", ec);
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec, size_t) { self->done(ec); });
    });
  }

  void done(beast::error_code ec) {
    if (ec) return fail("no answer", ec);
    out_.status = int(parser_.get().result_int());
    out_.body = std::move(parser_.get().body());
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  void fail(const char* what, beast::error_code ec) {
    out_.error = std::string(what) + ": " +
                 (ec == beast::error::timeout ? std::string("timed out") : ec.message());
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  const Member& member_;
  net::steady_timer::time_point deadline_;
  Answer& out_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

std::vector<Answer> get_all(const std::vector<Member>& members,
                            const std::function<std::string(size_t)>& target_of,
                            const std::string& token, std::chrono::milliseconds timeout,
                            size_t max_body) {
  std::vector<Answer> answers(members.size());
  net::io_context io;  // after answers: gone first, with any handler still holding one
  auto deadline = net::steady_timer::clock_type::now() + timeout;
  for (size_t i = 0; i < members.size(); ++i)
    std::make_shared<Fetch>(io, members[i], target_of(i), token, deadline, max_body, answers[i])
        ->start();
  io.run_until(deadline + std::chrono::milliseconds(50));  // a resolver has no deadline of its own
  for (Answer& a : answers)
    if (a.status == 0 && a.error.empty()) a.error = "no answer: timed out";
  return answers;
}

}  // namespace trawl::hub
