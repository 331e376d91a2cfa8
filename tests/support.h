// Helpers shared by the unit tests.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dissect/dissector.h"
#include "dissect/stream_session.h"
#include "entries/entry.h"

namespace trawl::testing {

class CapturingSink : public EntrySink {
 public:
  // Fields dissectors wrote as JSON text are parsed, so tests read every field.
  void emit(Entry&& e) override {
    expand_raw(e);
    entries.push_back(std::move(e));
  }
  std::vector<Entry> entries;
};

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/trawl-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline Bytes bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

inline std::string str(const Json& j, std::string_view key) {
  const Json* v = j.find(key);
  return v && v->is_string() ? v->str() : "";
}
inline int64_t num(const Json& j, std::string_view key) {
  const Json* v = j.find(key);
  return v && v->is_int() ? v->integer() : -1;
}

// A dissector wired to a capturing sink, as the flow table would create it.
struct DissectorHarness {
  explicit DissectorHarness(const ProtocolInfo& p, bool datagrams = false,
                            MemoryBudget* memory = nullptr)
      : protocol(p) {
    settings.memory = memory;
    flow.stream = "7";
    flow.layer4 = datagrams ? "udp" : "tcp";
    flow.datagrams = datagrams;
    flow.a = {"10.0.0.1", 40000};
    flow.b = {"10.0.0.2", 80};
    restart();
  }
  // A new connection (after settings changed): the protocol is given, not
  // detected; the session hands over upgrades as in a capture.
  void restart() {
    dissector.reset();
    dissector.emplace(flow, flow.datagrams ? kOverUdp : kOverTcp, sink, counters, settings,
                      protocol);
  }
  void a(std::string_view s, int64_t ts = 1000) {
    dissector->on_data(Direction::kAtoB, bytes(s), ts);
  }
  void b(std::string_view s, int64_t ts = 2000) {
    dissector->on_data(Direction::kBtoA, bytes(s), ts);
  }
  void close() { dissector->on_close(9000); }

  FlowContext flow;
  CapturingSink sink;
  DissectCounters counters;
  DissectorSettings settings;
  const ProtocolInfo& protocol;
  std::optional<StreamSession> dissector;
};

// zlib's deflate: window_bits 31 gzip, 15 zlib-wrapped, -15 raw.
inline std::string deflate_compress(const std::string& in, int window_bits) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(uLong(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// ../shared/pcaps when present (a developer's machine or CI), else empty.
inline std::filesystem::path shared_pcaps() {
  std::filesystem::path p = std::filesystem::path(TRAWL_SOURCE_DIR) / ".." / "shared" / "pcaps";
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

}  // namespace trawl::testing
