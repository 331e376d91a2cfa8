// The whole pipeline on an arbitrary capture file: pcap/pcapng reading, link
// and IP decoding, defragmentation, TCP reassembly, flows, detection, every
// dissector, ICMP, and JSON serialisation. The capture is read as a mapped file
// (as `trawl read FILE` does) and again as a stream (standard input): both
// readers must give the same frames and stop with the same error.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture/pcap_source.h"
#include "fuzz/stream_harness.h"
#include "pipeline/pipeline.h"

namespace {

struct FrameSummary {
  int64_t timestamp_us;
  int link_type;
  uint32_t interface, wire_length;
  std::string data;
  bool operator==(const FrameSummary&) const = default;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<FrameSummary> mapped_frames;
  std::string mapped_error;
  bool mapped_opened = false;
  try {
    trawl::PcapSource source(trawl::Bytes(data, size), "fuzz");
    mapped_opened = true;
    trawl::fuzz::NullSink sink;
    trawl::PipelineSettings settings;
    settings.dissect.max_body = 256;
    settings.flows.reassembly.per_connection = 4096;
    trawl::Pipeline pipeline(sink, settings);
    trawl::Frame frame;
    while (source.next(frame)) {
      mapped_frames.push_back(
          {frame.timestamp_us, frame.link_type, frame.interface, frame.wire_length,
           std::string(reinterpret_cast<const char*>(frame.data.data()), frame.data.size())});
      pipeline.add(frame);
    }
    pipeline.finish();
    mapped_error = source.error();
  } catch (const std::runtime_error&) {
    // not a capture: a clear error, nothing to dissect
  }

  std::FILE* f = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!f) return 0;
  try {
    trawl::PcapSource source(f, "fuzz");
    if (!mapped_opened) __builtin_trap();
    trawl::Frame frame;
    size_t i = 0;
    while (source.next(frame)) {
      FrameSummary s{
          frame.timestamp_us, frame.link_type, frame.interface, frame.wire_length,
          std::string(reinterpret_cast<const char*>(frame.data.data()), frame.data.size())};
      if (i >= mapped_frames.size() || !(s == mapped_frames[i])) __builtin_trap();
      ++i;
    }
    if (i != mapped_frames.size() || source.error() != mapped_error) __builtin_trap();
  } catch (const std::runtime_error&) {
    if (mapped_opened) __builtin_trap();
  }
  std::fclose(f);
  return 0;
}
