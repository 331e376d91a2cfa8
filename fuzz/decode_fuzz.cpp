// Link, IP and transport decoding, with fragment reassembly across inputs'
// frames: the first byte picks the link type, the rest are frames of
// [length: 2 bytes][bytes].
#include <pcap/pcap.h>

#include <array>

#include "decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::array<int, 11> kLinks{
      DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,  DLT_NULL, DLT_LOOP,
      DLT_PPP,    DLT_PPP_ETHER, DLT_C_HDLC,     DLT_IPV4, DLT_IPV6};
  if (size < 1) return 0;
  trawl::Decoder decoder;
  trawl::Frame frame;
  frame.link_type = kLinks[data[0] % kLinks.size()];
  trawl::Packet packet;
  size_t pos = 1;
  while (pos + 2 <= size) {
    size_t len = std::min<size_t>(size_t(data[pos]) << 8 | data[pos + 1], size - pos - 2);
    frame.data = trawl::Bytes(data + pos + 2, len);
    frame.wire_length = uint32_t(len);
    frame.timestamp_us += 1000;
    decoder.decode(frame, packet);
    pos += 2 + len;
  }
  return 0;
}
