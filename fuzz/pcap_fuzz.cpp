// The whole pipeline on an arbitrary capture file: pcap/pcapng reading, link
// and IP decoding, defragmentation, TCP reassembly, flows, detection, every
// dissector, ICMP, and JSON serialisation. The capture is a file in memory
// (memfd) read by its path, as `trawl read FILE` reads one; each frame must
// come out whole (it is copied, so a frame pointing past the read buffer is
// caught by the sanitizer).
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "capture/pcap_source.h"
#include "fuzz/stream_harness.h"
#include "pipeline/pipeline.h"

namespace {

void read_capture(const std::string& path) {
  trawl::PcapSource source(path);
  trawl::fuzz::NullSink sink;
  trawl::PipelineSettings settings;
  settings.dissect.max_body = 256;
  settings.flows.reassembly.per_connection = 4096;
  trawl::Pipeline pipeline(sink, settings);
  trawl::Frame frame;
  size_t bytes = 0;
  while (source.next(frame)) {
    std::string copy(reinterpret_cast<const char*>(frame.data.data()), frame.data.size());
    bytes += copy.size();
    pipeline.add(frame);
  }
  pipeline.finish();
  if (bytes > source.offset()) __builtin_trap();  // frames are made of the input
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("pcap_fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  bool written = ::write(fd, data, size) == ssize_t(size);
  if (written) {
    try {
      read_capture("/proc/self/fd/" + std::to_string(fd));
    } catch (const std::runtime_error&) {
      // not a capture: a clear error, nothing to dissect
    }
  }
  ::close(fd);
  return 0;
}
