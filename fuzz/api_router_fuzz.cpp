// Whole HTTP requests through the API as the server takes them: Beast's parser
// with the server's limits, the access policy (Host, Origin, token), the
// routes, and every slice of a sliced answer, over a worker holding the demo
// capture. The first byte picks the access settings: none, a token, or allowed
// origins and hosts.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "api/sessions.h"

namespace {

using namespace trawl;
using namespace trawl::api;

struct Fixture {
  std::string dir;
  std::unique_ptr<Worker> worker;
  std::unique_ptr<WorkerBackend> backend;
  ServerSettings settings[3];
  std::unique_ptr<AccessPolicy> policies[3];
  ApiCounters counters;
  QueryPool pool{0, 0};

  Fixture() {
    char tmpl[] = "/tmp/trawl-fuzz-XXXXXX";
    dir = mkdtemp(tmpl);
    WorkerSettings s;
    s.data_dir = dir;
    worker = std::make_unique<Worker>(s);
    worker->ingest_file(std::string(TRAWL_SOURCE_DIR) + "/fixtures/demo.pcap");
    backend = std::make_unique<WorkerBackend>(*worker);
    settings[1].token = "0123456789abcdef0123";
    settings[2].allowed_origins = {"https://ui.example"};
    settings[2].allowed_hosts = {"trawl.internal"};
    for (auto& s : settings) s.ui_dir = std::string(TRAWL_SOURCE_DIR) + "/fuzz";
    for (int i = 0; i < 3; ++i) {
      AccessSettings a;
      a.token = settings[i].token;
      a.allowed_origins = settings[i].allowed_origins;
      a.allowed_hosts = settings[i].allowed_hosts;
      policies[i] = std::make_unique<AccessPolicy>(a);
    }
  }
  ~Fixture() {
    backend.reset();
    worker.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Fixture& f = fixture();
  int which = data[0] % 3;
  ServerContext context{*f.backend, f.settings[which], *f.policies[which], f.pool, f.counters};
  http::request_parser<http::string_body> parser;
  parser.header_limit(std::uint32_t(f.settings[which].limits.header_bytes));
  parser.body_limit(64 * 1024);
  beast::error_code ec;
  parser.put(net::buffer(data + 1, size - 1), ec);
  if (ec || !parser.is_done()) return 0;
  Dispatch d = dispatch(context, parser.get());
  if (d.kind == Dispatch::Kind::kReply && (d.reply.status < 100 || d.reply.status > 599))
    __builtin_trap();
  if (d.kind != Dispatch::Kind::kSliced) return 0;
  Cancellation cancel(Cancellation::Clock::now() + std::chrono::milliseconds(200));
  std::string out;
  for (int slice = 0; slice < 64; ++slice) {
    SliceBudget budget{cancel, Cancellation::Clock::now() + std::chrono::milliseconds(20),
                       64 * 1024};
    if (d.sliced->next(out, budget)) break;
    out.clear();
  }
  return 0;
}
