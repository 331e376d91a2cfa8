#include "capture/frame.h"

#include <pcap/pcap.h>

namespace trawl {

static_assert(linktype::kNull == DLT_NULL && linktype::kEthernet == DLT_EN10MB &&
              linktype::kPpp == DLT_PPP && linktype::kRawDlt == DLT_RAW &&
              linktype::kPppSerial == DLT_PPP_SERIAL && linktype::kPppEther == DLT_PPP_ETHER &&
              linktype::kCiscoHdlc == DLT_C_HDLC && linktype::kLoop == DLT_LOOP &&
              linktype::kLinuxSll == DLT_LINUX_SLL && linktype::kIpv4 == DLT_IPV4 &&
              linktype::kIpv6 == DLT_IPV6 && linktype::kLinuxSll2 == DLT_LINUX_SLL2);

std::string link_type_name(int link_type) {
  if (link_type == linktype::kRaw) return "RAW";
  const char* name = pcap_datalink_val_to_name(link_type);
  return name ? name : "unknown";
}

}  // namespace trawl
