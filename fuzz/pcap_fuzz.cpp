// The whole pipeline on an arbitrary capture file: pcap/pcapng reading, link
// and IP decoding, defragmentation, TCP reassembly, flows, detection, every
// dissector, ICMP, and JSON serialisation.
#include <cstdio>
#include <stdexcept>

#include "capture/pcap_source.h"
#include "fuzz/stream_harness.h"
#include "pipeline/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::FILE* f = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!f) return 0;
  try {
    trawl::PcapSource source(f, "fuzz");
    trawl::fuzz::NullSink sink;
    trawl::PipelineSettings settings;
    settings.dissect.max_body = 256;
    settings.flows.reassembly.per_connection = 4096;
    trawl::Pipeline pipeline(sink, settings);
    trawl::Frame frame;
    while (source.next(frame)) pipeline.add(frame);
    pipeline.finish();
  } catch (const std::runtime_error&) {
    // not a capture: a clear error, nothing to dissect
  }
  std::fclose(f);
  return 0;
}
