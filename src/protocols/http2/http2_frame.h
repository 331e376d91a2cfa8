// HTTP/2 frame layout (RFC 9113 section 4 and 6).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace trawl::h2 {

constexpr size_t kFrameHeaderSize = 9;
constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};

enum Flags : uint8_t {
  kEndStream = 0x1,
  kAck = 0x1,
  kEndHeaders = 0x4,
  kPadded = 0x8,
  kPriorityFlag = 0x20,
};

struct FrameHeader {
  uint32_t length = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
};

inline FrameHeader parse_frame_header(const uint8_t* p) {
  FrameHeader h;
  h.length = uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
  h.type = p[3];
  h.flags = p[4];
  h.stream =
      (uint32_t(p[5]) << 24 | uint32_t(p[6]) << 16 | uint32_t(p[7]) << 8 | p[8]) & 0x7FFFFFFF;
  return h;
}

// A header that a real peer could have sent: a known type with its stream rules
// and defined flags only, and a length no larger than `max_length`. Used to find
// frames in bytes of unknown alignment; a receiver in sync ignores unknown flags.
bool plausible_frame_header(const FrameHeader& h, uint32_t max_length);

// Error code names (RFC 9113 section 7).
std::string_view error_code_name(uint32_t code);

}  // namespace trawl::h2
