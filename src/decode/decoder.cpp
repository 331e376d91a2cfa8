#include "decode/decoder.h"

#include <cstring>
#include <stdexcept>

namespace trawl {

namespace {

enum EtherType : uint16_t {
  kIpv4 = 0x0800,
  kIpv6 = 0x86DD,
  kVlan = 0x8100,
  kQinQ = 0x88A8,
  kQinQOld = 0x9100,
  kPppoeSession = 0x8864,
};

// PPP protocol field -> EtherType of the payload, 0 when not IP.
uint16_t ppp_to_ethertype(uint16_t proto) {
  if (proto == 0x0021) return kIpv4;
  if (proto == 0x0057) return kIpv6;
  return 0;
}

}  // namespace

bool Decoder::supports(int link_type) {
  switch (link_type) {
    case linktype::kEthernet:
    case linktype::kLinuxSll:
    case linktype::kLinuxSll2:
    case linktype::kRawDlt:
    case linktype::kRaw:
    case linktype::kIpv4:
    case linktype::kIpv6:
    case linktype::kNull:
    case linktype::kLoop:
    case linktype::kPpp:
    case linktype::kPppSerial:
    case linktype::kPppEther:
    case linktype::kCiscoHdlc:
      return true;
    default:
      return false;
  }
}

void Decoder::check_link_type(int link_type) {
  if (!supports(link_type)) {
    throw std::invalid_argument("unsupported link type " + std::to_string(link_type) + " (" +
                                link_type_name(link_type) + ")");
  }
}

DecodeResult Decoder::decode(const Frame& frame, Packet& out) {
  ++counters_.frames;
  counters_.bytes += frame.wire_length;
  out = Packet{};
  out.timestamp_us = frame.timestamp_us;
  out.wire_length = frame.wire_length;
  DecodeResult r = link(frame.link_type, frame.data, out);
  if (r == DecodeResult::kPacket) ++counters_.decoded;
  return r;
}

DecodeResult Decoder::link(int link_type, Bytes d, Packet& out) {
  switch (link_type) {
    case linktype::kEthernet:
      if (d.size() < 14) return malformed();
      return ethertype(load_be16(&d[12]), d.subspan(14), out);
    case linktype::kLinuxSll:
      if (d.size() < 16) return malformed();
      return ethertype(load_be16(&d[14]), d.subspan(16), out);
    case linktype::kLinuxSll2:
      if (d.size() < 20) return malformed();
      return ethertype(load_be16(&d[0]), d.subspan(20), out);
    case linktype::kRawDlt:
    case linktype::kRaw:
    case linktype::kIpv4:
    case linktype::kIpv6:
      return ip(d, out);
    case linktype::kNull:
    case linktype::kLoop:
      // The 4-byte address family is host- or network-ordered depending on the
      // writer; the IP version nibble is unambiguous.
      if (d.size() < 4) return malformed();
      return ip(d.subspan(4), out);
    case linktype::kPpp:
    case linktype::kPppSerial: {
      if (d.size() >= 2 && d[0] == 0xFF && d[1] == 0x03) d = d.subspan(2);
      if (d.empty()) return malformed();
      uint16_t proto;
      if (d[0] & 1) {  // protocol field compressed to one byte
        proto = d[0];
        d = d.subspan(1);
      } else {
        if (d.size() < 2) return malformed();
        proto = load_be16(&d[0]);
        d = d.subspan(2);
      }
      return ethertype(ppp_to_ethertype(proto), d, out);
    }
    case linktype::kPppEther:
      if (d.size() < 8) return malformed();
      return ethertype(ppp_to_ethertype(load_be16(&d[6])), d.subspan(8), out);
    case linktype::kCiscoHdlc:
      if (d.size() < 4) return malformed();
      return ethertype(load_be16(&d[2]), d.subspan(4), out);
  }
  ++counters_.unsupported_link;
  return DecodeResult::kSkipped;
}

DecodeResult Decoder::ethertype(uint16_t type, Bytes d, Packet& out) {
  for (int tags = 0; type == kVlan || type == kQinQ || type == kQinQOld; ++tags) {
    if (d.size() < 4 || tags > 4) return malformed();
    type = load_be16(&d[2]);
    d = d.subspan(4);
  }
  if (type == kPppoeSession) {
    if (d.size() < 8) return malformed();
    type = ppp_to_ethertype(load_be16(&d[6]));
    d = d.subspan(8);
  }
  if (type == kIpv4 || type == kIpv6) return ip(d, out);
  ++counters_.not_ip;
  return DecodeResult::kSkipped;
}

DecodeResult Decoder::ip(Bytes d, Packet& out) {
  if (d.empty()) return malformed();
  switch (d[0] >> 4) {
    case 4:
      return ipv4(d, out);
    case 6:
      return ipv6(d, out);
  }
  ++counters_.not_ip;
  return DecodeResult::kSkipped;
}

DecodeResult Decoder::ipv4(Bytes d, Packet& out) {
  if (d.size() < 20) return malformed();
  size_t header_len = (d[0] & 15) * 4;
  size_t total = load_be16(&d[2]);
  if (header_len < 20 || d.size() < header_len) return malformed();
  // Total length 0 is TSO on the capturing host: trust the captured length.
  if (total == 0) total = d.size();
  if (total < header_len) return malformed();
  if (total < d.size()) d = d.first(total);  // drop link-layer padding
  out.src = IpAddress{};
  out.dst = IpAddress{};
  std::memcpy(out.src.bytes.data(), &d[12], 4);
  std::memcpy(out.dst.bytes.data(), &d[16], 4);
  uint8_t protocol = d[9];
  out.ip_id = load_be16(&d[4]);
  uint16_t frag = load_be16(&d[6]);
  bool more = frag & 0x2000;
  uint32_t offset = uint32_t(frag & 0x1FFF) * 8;
  Bytes body = d.subspan(header_len);
  if (more || offset) {
    Bytes whole = defrag_.add(out.src, out.dst, load_be16(&d[4]), protocol, offset, more, body,
                              out.timestamp_us);
    if (whole.empty()) {
      ++counters_.fragments_pending;
      return DecodeResult::kSkipped;
    }
    body = whole;
  }
  return transport(protocol, body, out);
}

DecodeResult Decoder::ipv6(Bytes d, Packet& out) {
  if (d.size() < 40) return malformed();
  size_t payload_len = load_be16(&d[4]);
  // Payload length 0 is a jumbogram or TSO: trust the captured length.
  if (payload_len && 40 + payload_len < d.size()) d = d.first(40 + payload_len);
  out.src = IpAddress{};
  out.dst = IpAddress{};
  out.src.v6 = out.dst.v6 = true;
  std::memcpy(out.src.bytes.data(), &d[8], 16);
  std::memcpy(out.dst.bytes.data(), &d[24], 16);
  uint8_t next = d[6];
  Bytes rest = d.subspan(40);
  for (int headers = 0; headers < 16; ++headers) {
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
      {
        if (rest.size() < 8) return malformed();
        size_t len = (size_t(rest[1]) + 1) * 8;
        if (rest.size() < len) return malformed();
        next = rest[0];
        rest = rest.subspan(len);
        break;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (rest.size() < 8) return malformed();
        size_t len = (size_t(rest[1]) + 2) * 4;
        if (rest.size() < len) return malformed();
        next = rest[0];
        rest = rest.subspan(len);
        break;
      }
      case 44: {  // fragment
        if (rest.size() < 8) return malformed();
        uint8_t protocol = rest[0];
        uint16_t frag = load_be16(&rest[2]);
        uint32_t offset = frag & 0xFFF8;
        bool more = frag & 1;
        uint32_t id = load_be32(&rest[4]);
        Bytes body = rest.subspan(8);
        if (!more && offset == 0) {  // atomic fragment
          next = protocol;
          rest = body;
          break;
        }
        Bytes whole =
            defrag_.add(out.src, out.dst, id, protocol, offset, more, body, out.timestamp_us);
        if (whole.empty()) {
          ++counters_.fragments_pending;
          return DecodeResult::kSkipped;
        }
        return transport(protocol, whole, out);
      }
      case 59:  // no next header
        ++counters_.other_l4;
        return DecodeResult::kSkipped;
      default:
        return transport(next, rest, out);
    }
  }
  return malformed();
}

DecodeResult Decoder::transport(uint8_t protocol, Bytes d, Packet& out) {
  out.protocol = protocol;
  out.l4 = d;
  switch (protocol) {
    case kTcp: {
      if (d.size() < 20) return malformed();
      size_t header_len = (d[12] >> 4) * 4;
      if (header_len < 20 || d.size() < header_len) return malformed();
      out.src_port = load_be16(&d[0]);
      out.dst_port = load_be16(&d[2]);
      out.seq = load_be32(&d[4]);
      out.ack = load_be32(&d[8]);
      out.tcp_flags = d[13];
      out.payload = d.subspan(header_len);
      return DecodeResult::kPacket;
    }
    case kUdp: {
      if (d.size() < 8) return malformed();
      out.src_port = load_be16(&d[0]);
      out.dst_port = load_be16(&d[2]);
      size_t len = load_be16(&d[4]);
      Bytes payload = d.subspan(8);
      if (len >= 8 && len - 8 < payload.size()) payload = payload.first(len - 8);
      out.payload = payload;
      return DecodeResult::kPacket;
    }
    case kSctp:
      if (d.size() < 12) return malformed();
      out.src_port = load_be16(&d[0]);
      out.dst_port = load_be16(&d[2]);
      out.payload = d.subspan(12);
      return DecodeResult::kPacket;
    case kIcmp:
    case kIcmpv6:
      if (d.size() < 4) return malformed();
      return DecodeResult::kPacket;
  }
  ++counters_.other_l4;
  return DecodeResult::kSkipped;
}

}  // namespace trawl
