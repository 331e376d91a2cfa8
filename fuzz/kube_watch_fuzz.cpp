// A Kubernetes watch stream as the API server's connection delivers it: bytes
// in pieces of any size, events framed by lines, each parsed into the objects
// identity reads (pods, services, endpoint slices, nodes, owners). The first
// byte picks the piece size and the line limit; the same bytes fed whole must
// give the same events and errors.
#include <string>
#include <vector>

#include "kube/watch_stream.h"

namespace {

std::vector<std::string> read_all(std::string_view body, size_t piece, size_t max_line) {
  trawl::kube::WatchStream stream(max_line);
  std::vector<std::string> seen;
  trawl::kube::WatchEvent event;
  std::string error;
  for (size_t at = 0; at < body.size(); at += piece) {
    stream.feed(body.substr(at, piece));
    while (stream.next(event, error)) {
      const trawl::kube::Meta& meta = trawl::kube::meta_of(event.object);
      seen.push_back(error.empty() ? std::to_string(int(event.type)) + meta.name +
                                         event.resource_version + std::to_string(event.error_code)
                                   : error);
    }
    if (stream.held() > max_line + piece) __builtin_trap();  // a long line is not kept
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64, max_line = 64 + (data[0] >> 6) * 4096;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> cut = read_all(body, piece, max_line);
  std::vector<std::string> whole = read_all(body, body.size() + 1, max_line);
  // A line too long is reported as it grows when cut, and once in both.
  if (cut != whole && max_line >= body.size()) __builtin_trap();
  trawl::kube::Object object;
  std::string error;
  trawl::kube::parse_object(body, object, error);
  return 0;
}
