// What a packet source hands to decode/: frames with their link type. Sources
// (capture files, live interfaces) implement FrameSource; nothing of libpcap is
// visible past capture/.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace trawl {

// Link types by their numbers on Linux (pcap's LINKTYPE_* and libpcap's DLT_*
// agree there but for raw IP, which arrives as either); capture/frame.cpp
// checks them against libpcap's.
namespace linktype {
constexpr int kNull = 0;
constexpr int kEthernet = 1;
constexpr int kPpp = 9;
constexpr int kRawDlt = 12;  // raw IP as libpcap on Linux numbers it
constexpr int kPppSerial = 50;
constexpr int kPppEther = 51;
constexpr int kRaw = 101;  // raw IP as pcap files store it
constexpr int kCiscoHdlc = 104;
constexpr int kLoop = 108;
constexpr int kLinuxSll = 113;
constexpr int kIpv4 = 228;
constexpr int kIpv6 = 229;
constexpr int kLinuxSll2 = 276;
}  // namespace linktype

// The link type's name ("EN10MB", "LINUX_SLL2"), or "unknown".
std::string link_type_name(int link_type);

struct Frame {
  int64_t timestamp_us = 0;
  int link_type = 0;  // linktype:: value of the frame's interface
  uint32_t interface = 0;
  Bytes data;  // captured bytes
  uint32_t wire_length = 0;
};

// Frames one after another (a capture file, or a test's own).
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Next frame, valid until the following call; false at the end of the input.
  // A damaged or cut input ends the frames early and is reported by error().
  virtual bool next(Frame& frame) = 0;
  virtual const std::string& error() const = 0;
  // Link type of the first interface.
  virtual int link_type() const = 0;
};

}  // namespace trawl
