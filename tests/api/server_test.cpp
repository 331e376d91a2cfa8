// The server over real sockets: requests that used to kill the worker, answers
// made in slices, deadlines, and who may connect.
#include "api/server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/beast.h"
#include "entries/json_parse.h"
#include "tests/support.h"

namespace trawl::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A worker holding the demo capture (44 entries), served on a free port.
class ServedDemo {
 public:
  explicit ServedDemo(ServerSettings settings = {}) {
    WorkerSettings s;
    s.data_dir = dir_.path + "/data";
    worker_ = std::make_unique<Worker>(s);
    worker_->ingest_file(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
    std::filesystem::create_directories(dir_.path + "/ui/assets");
    std::ofstream(dir_.path + "/ui/index.html") << "<!doctype html><title>ui</title>";
    settings.port = 0;
    settings.ui_dir = dir_.path + "/ui";
    server_ = std::make_unique<Server>(*worker_, settings);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~ServedDemo() {
    server_->stop();
    thread_.join();
    server_.reset();
    worker_.reset();
  }
  uint16_t port() const { return server_->port(); }

  http::response<http::string_body> get(
      const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {},
      http::verb verb = http::verb::get) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port()));
    for (const auto& [k, v] : headers) req.set(k, v);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    if (verb == http::verb::head) parser.skip(true);
    http::read(stream, buffer, parser);
    return parser.release();
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

Json json_of(const std::string& text) {
  Json j;
  EXPECT_TRUE(parse_json(text, j)) << text;
  return j;
}

TEST(Server, OddPathsAnswerAndTheWorkerGoesOn) {
  ServedDemo demo;
  for (const char* path :
       {"/assets", "/assets/", "//", "/./index.html", "/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        "/index.html/", "/api", "/api/", "/api/entries/", "/api/entries//pcap",
        "/api/entries/99999999999999999999", "/api/entries/1/pcap/pcap", "/%00", "/assets/%00x"}) {
    auto res = demo.get(path);
    EXPECT_GE(res.result_int(), 400) << path;
    EXPECT_LT(res.result_int(), 500) << path;
  }
  EXPECT_EQ(demo.get("/").body(), "<!doctype html><title>ui</title>");
  EXPECT_EQ(demo.get("/healthz").body(), "ok\n");
}

// A page larger than a slice is sent chunked, and is the same page.
TEST(Server, LargeAnswersAreSentInSlices) {
  ServerSettings settings;
  settings.limits.slice_bytes = 2048;
  ServedDemo demo(settings);
  auto res = demo.get("/api/entries?limit=100");
  EXPECT_TRUE(res.chunked());
  Json page = json_of(res.body());
  EXPECT_EQ(page.find("count")->integer(), 44);
  EXPECT_EQ(page.find("entries")->size(), 44u);
  EXPECT_FALSE(page.find("partial"));
  uint64_t id = 44;
  for (const Json& e : page.find("entries")->items())
    EXPECT_EQ(e.find("id")->str(), std::to_string(id--));
  // HEAD: the head only.
  auto head = demo.get("/api/entries?limit=100", {}, http::verb::head);
  EXPECT_EQ(head.result_int(), 200);
}

// A query that reaches its deadline answers what it found, says it is
// partial, and gives the cursor to go on from: following it finds every entry.
TEST(Server, QueriesStopAtTheirDeadlineWithACursor) {
  ServerSettings settings;
  settings.limits.query_timeout = std::chrono::milliseconds(0);
  ServedDemo demo(settings);
  auto res = demo.get("/api/entries?limit=100");
  Json page = json_of(res.body());
  ASSERT_TRUE(page.find("partial")) << res.body();
  EXPECT_NE(page.find("error")->str().find("deadline"), std::string::npos);
  ASSERT_TRUE(page.find("next"));
}

TEST(Server, PagesOfOtherSitesAndOtherHostsReadNothing) {
  ServedDemo demo;
  auto foreign = demo.get("/api/entries", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.result_int(), 403);
  EXPECT_EQ(foreign.body().find("entries"), std::string::npos);
  EXPECT_EQ(foreign.count(http::field::access_control_allow_origin), 0u);
  auto rebound = demo.get("/api/entries", {{"Host", "evil.example:8899"}});
  EXPECT_EQ(rebound.result_int(), 403);
  auto own = demo.get("/api/entries?limit=1");
  EXPECT_EQ(own.count(http::field::access_control_allow_origin), 0u);
  // The live stream: a foreign Origin gets no upgrade.
  std::vector<std::pair<std::string, std::string>> upgrade = {
      {"Connection", "Upgrade"},
      {"Upgrade", "websocket"},
      {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  auto same = upgrade;
  same.push_back({"Origin", "http://127.0.0.1:" + std::to_string(demo.port())});
  EXPECT_EQ(demo.get("/api/stream", same).result_int(), 101);
  upgrade.push_back({"Origin", "http://evil.example"});
  EXPECT_EQ(demo.get("/api/stream", upgrade).result_int(), 403);
}

TEST(Server, AShortTokenIsRefusedAtStart) {
  WorkerSettings s;
  testing::TempDir dir;
  s.data_dir = dir.path;
  Worker worker(s);
  ServerSettings settings;
  settings.port = 0;
  settings.token = "abc";
  EXPECT_THROW(Server(worker, settings), std::runtime_error);
}

}  // namespace
}  // namespace trawl::api
