#include "protocols/http2/http2_frame.h"

namespace trawl::h2 {

bool plausible_frame_header(const FrameHeader& h, uint32_t max_length) {
  if (h.length > max_length) return false;
  switch (h.type) {
    case kData:
      return h.stream != 0 && !(h.flags & ~(kEndStream | kPadded));
    case kHeaders:
      return h.stream != 0 && !(h.flags & ~(kEndStream | kEndHeaders | kPadded | kPriorityFlag));
    case kPriority:
      return h.stream != 0 && h.length == 5;
    case kRstStream:
      return h.stream != 0 && h.length == 4;
    case kSettings:
      return h.stream == 0 && h.length % 6 == 0 && !(h.flags & ~kAck) &&
             (!(h.flags & kAck) || h.length == 0);
    case kPushPromise:
      return h.stream != 0 && h.length >= 4 && !(h.flags & ~(kEndHeaders | kPadded));
    case kPing:
      return h.stream == 0 && h.length == 8 && !(h.flags & ~kAck);
    case kGoaway:
      return h.stream == 0 && h.length >= 8;
    case kWindowUpdate:
      return h.length == 4 && h.flags == 0;
    case kContinuation:
      return h.stream != 0 && !(h.flags & ~kEndHeaders);
    default:
      return false;  // extension frames exist but do not help to find frame starts
  }
}

std::string_view error_code_name(uint32_t code) {
  static constexpr std::string_view kNames[] = {"NO_ERROR",
                                                "PROTOCOL_ERROR",
                                                "INTERNAL_ERROR",
                                                "FLOW_CONTROL_ERROR",
                                                "SETTINGS_TIMEOUT",
                                                "STREAM_CLOSED",
                                                "FRAME_SIZE_ERROR",
                                                "REFUSED_STREAM",
                                                "CANCEL",
                                                "COMPRESSION_ERROR",
                                                "CONNECT_ERROR",
                                                "ENHANCE_YOUR_CALM",
                                                "INADEQUATE_SECURITY",
                                                "HTTP_1_1_REQUIRED"};
  return code < std::size(kNames) ? kNames[code] : "UNKNOWN_ERROR";
}

}  // namespace trawl::h2
