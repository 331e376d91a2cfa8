#include "protocols/dns/dns_message.h"

#include <arpa/inet.h>

#include "base/text.h"

namespace trawl {

namespace {

constexpr size_t kMaxRecordsPerSection = 4096;

struct TypeName {
  uint16_t type;
  const char* name;
};
constexpr TypeName kTypes[] = {
    {1, "A"},         {2, "NS"},          {5, "CNAME"},       {6, "SOA"},     {11, "WKS"},
    {12, "PTR"},      {13, "HINFO"},      {14, "MINFO"},      {15, "MX"},     {16, "TXT"},
    {17, "RP"},       {18, "AFSDB"},      {24, "SIG"},        {25, "KEY"},    {28, "AAAA"},
    {29, "LOC"},      {33, "SRV"},        {35, "NAPTR"},      {36, "KX"},     {37, "CERT"},
    {39, "DNAME"},    {41, "OPT"},        {42, "APL"},        {43, "DS"},     {44, "SSHFP"},
    {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},       {48, "DNSKEY"}, {49, "DHCID"},
    {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},       {53, "SMIMEA"}, {55, "HIP"},
    {59, "CDS"},      {60, "CDNSKEY"},    {61, "OPENPGPKEY"}, {62, "CSYNC"},  {63, "ZONEMD"},
    {64, "SVCB"},     {65, "HTTPS"},      {99, "SPF"},        {108, "EUI48"}, {109, "EUI64"},
    {249, "TKEY"},    {250, "TSIG"},      {251, "IXFR"},      {252, "AXFR"},  {253, "MAILB"},
    {254, "MAILA"},   {255, "ANY"},       {256, "URI"},       {257, "CAA"},   {32769, "DLV"},
};

// Reads a possibly compressed name starting at `pos`; returns the position after
// it in the original data, or 0 on error. Pointers must go backwards, which
// rules out loops; the jump count and name length are bounded too.
size_t read_name(Bytes msg, size_t pos, std::string& out) {
  out.clear();
  size_t end = 0;  // position after the name where it was first read
  int jumps = 0;
  size_t limit = pos;  // a pointer must point before this
  while (true) {
    if (pos >= msg.size()) return 0;
    uint8_t len = msg[pos];
    if (len == 0) {
      if (!end) end = pos + 1;
      break;
    }
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= msg.size()) return 0;
      size_t target = size_t(len & 0x3F) << 8 | msg[pos + 1];
      if (target >= limit || ++jumps > 64) return 0;
      if (!end) end = pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    if (len & 0xC0) return 0;  // extended label types are obsolete
    if (pos + 1 + len > msg.size()) return 0;
    if (out.size() + len + 1 > 255) return 0;
    if (!out.empty()) out += '.';
    for (size_t i = 0; i < len; ++i) {
      char c = char(msg[pos + 1 + i]);
      if (c == '.' || c == '\\') out += '\\';
      out += c;
    }
    pos += 1 + len;
  }
  if (out.empty()) out = ".";
  return end;
}

std::string character_strings(Bytes rdata) {
  std::string out;
  size_t i = 0;
  while (i < rdata.size()) {
    size_t len = rdata[i];
    size_t take = std::min(len, rdata.size() - i - 1);
    if (!out.empty()) out += ' ';
    out += '"';
    for (size_t k = 0; k < take; ++k) {
      char c = char(rdata[i + 1 + k]);
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
    i += 1 + len;
  }
  return out;
}

std::string type_bitmap(Bytes b) {
  std::string out;
  size_t i = 0;
  while (i + 2 <= b.size()) {
    uint8_t window = b[i], len = b[i + 1];
    if (i + 2 + len > b.size()) break;
    for (size_t k = 0; k < len; ++k)
      for (int bit = 0; bit < 8; ++bit)
        if (b[i + 2 + k] & (0x80 >> bit)) {
          if (!out.empty()) out += ' ';
          out += dns_type_name(uint16_t(window * 256 + k * 8 + bit));
        }
    i += 2 + len;
  }
  return out;
}

// Presentation form of RDATA; hex when the type has none here or it is malformed.
std::string render_rdata(Bytes msg, size_t offset, size_t length, uint16_t type) {
  Bytes rdata = msg.subspan(offset, length);
  Reader r(rdata);
  std::string name, name2;
  auto name_at = [&](size_t rel, std::string& out) { return read_name(msg, offset + rel, out); };
  switch (type) {
    case 1:  // A
      if (length == 4) {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, rdata.data(), buf, sizeof buf);
        return buf;
      }
      break;
    case 28:  // AAAA
      if (length == 16) {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, rdata.data(), buf, sizeof buf);
        return buf;
      }
      break;
    case 2:
    case 5:
    case 12:
    case 39:  // NS, CNAME, PTR, DNAME
      if (name_at(0, name)) return name;
      break;
    case 15: {  // MX
      uint16_t pref = r.u16();
      if (r.ok() && name_at(2, name)) return std::to_string(pref) + " " + name;
      break;
    }
    case 16:  // TXT
    case 99:
      return character_strings(rdata);
    case 13:  // HINFO
      return character_strings(rdata);
    case 6: {  // SOA
      size_t p1 = name_at(0, name);
      if (!p1) break;
      size_t p2 = read_name(msg, p1, name2);
      if (!p2 || p2 + 20 > offset + length) break;
      Reader n(msg.subspan(p2, 20));
      std::string out = name + " " + name2;
      for (int i = 0; i < 5; ++i) out += " " + std::to_string(n.u32());
      return out;
    }
    case 33: {  // SRV
      uint16_t prio = r.u16(), weight = r.u16(), port = r.u16();
      if (r.ok() && name_at(6, name))
        return std::to_string(prio) + " " + std::to_string(weight) + " " + std::to_string(port) +
               " " + name;
      break;
    }
    case 43:
    case 59: {  // DS, CDS
      uint16_t tag = r.u16();
      uint8_t alg = r.u8(), digest_type = r.u8();
      if (r.ok())
        return std::to_string(tag) + " " + std::to_string(alg) + " " + std::to_string(digest_type) +
               " " + to_hex(r.rest());
      break;
    }
    case 48:
    case 60: {  // DNSKEY, CDNSKEY
      uint16_t flags = r.u16();
      uint8_t proto = r.u8(), alg = r.u8();
      if (r.ok())
        return std::to_string(flags) + " " + std::to_string(proto) + " " + std::to_string(alg) +
               " " + base64_encode(as_text(r.rest()));
      break;
    }
    case 46: {  // RRSIG
      uint16_t covered = r.u16();
      uint8_t alg = r.u8(), labels = r.u8();
      uint32_t ttl = r.u32(), expiration = r.u32(), inception = r.u32();
      uint16_t tag = r.u16();
      if (!r.ok()) break;
      size_t after = read_name(msg, offset + 18, name);
      if (!after || after > offset + length) break;
      return dns_type_name(covered) + " " + std::to_string(alg) + " " + std::to_string(labels) +
             " " + std::to_string(ttl) + " " + std::to_string(expiration) + " " +
             std::to_string(inception) + " " + std::to_string(tag) + " " + name + " " +
             base64_encode(as_text(msg.subspan(after, offset + length - after)));
    }
    case 47: {  // NSEC
      size_t after = name_at(0, name);
      if (!after || after > offset + length) break;
      return name + " " + type_bitmap(msg.subspan(after, offset + length - after));
    }
    case 257: {  // CAA
      uint8_t flags = r.u8(), tag_len = r.u8();
      Bytes tag = r.take(tag_len);
      if (r.ok())
        return std::to_string(flags) + " " + std::string(as_text(tag)) + " \"" +
               std::string(as_text(r.rest())) + "\"";
      break;
    }
  }
  return to_hex(rdata);
}

}  // namespace

std::string dns_type_name(uint16_t type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "TYPE" + std::to_string(type);
}

std::string dns_class_name(uint16_t cls) {
  switch (cls & 0x7FFF) {  // the top bit is mDNS's unicast-response / cache-flush flag
    case 1:
      return "IN";
    case 3:
      return "CH";
    case 4:
      return "HS";
    case 254:
      return "NONE";
    case 255:
      return "ANY";
  }
  return "CLASS" + std::to_string(cls);
}

std::string dns_rcode_name(uint8_t rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  return "RCODE" + std::to_string(rcode);
}

bool plausible_dns_header(Bytes m) {
  if (m.size() < 12) return false;
  uint8_t opcode = (m[2] >> 3) & 15;
  if (opcode == 3 || opcode > 6) return false;
  uint16_t qd = load_be16(&m[4]), an = load_be16(&m[6]), ns = load_be16(&m[8]),
           ar = load_be16(&m[10]);
  bool response = m[2] & 0x80;
  if (qd > 16 || an > 512 || ns > 512 || ar > 512) return false;
  if (!response && (qd == 0 || an > 16)) return false;
  if (!response && (m[3] & 0x0F)) return false;  // queries carry no rcode
  return true;
}

std::optional<DnsMessage> parse_dns_message(Bytes m, std::string& error) {
  if (m.size() < 12) {
    error = "message shorter than a DNS header";
    return std::nullopt;
  }
  DnsMessage msg;
  msg.id = load_be16(&m[0]);
  msg.response = m[2] & 0x80;
  msg.opcode = (m[2] >> 3) & 15;
  msg.authoritative = m[2] & 0x04;
  msg.truncated = m[2] & 0x02;
  msg.recursion_desired = m[2] & 0x01;
  msg.recursion_available = m[3] & 0x80;
  msg.rcode = m[3] & 15;
  uint16_t counts[4] = {load_be16(&m[4]), load_be16(&m[6]), load_be16(&m[8]), load_be16(&m[10])};
  size_t pos = 12;
  for (uint16_t i = 0; i < counts[0]; ++i) {
    DnsQuestion q;
    pos = read_name(m, pos, q.name);
    if (!pos || pos + 4 > m.size()) {
      error = "bad question";
      return std::nullopt;
    }
    q.type = load_be16(&m[pos]);
    q.cls = load_be16(&m[pos + 2]);
    pos += 4;
    msg.questions.push_back(std::move(q));
  }
  std::vector<DnsRecord>* sections[3] = {&msg.answers, &msg.authorities, &msg.additionals};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s + 1]; ++i) {
      if (sections[s]->size() >= kMaxRecordsPerSection) break;
      DnsRecord rr;
      pos = read_name(m, pos, rr.name);
      if (!pos || pos + 10 > m.size()) {
        error = "bad resource record";
        return std::nullopt;
      }
      rr.type = load_be16(&m[pos]);
      rr.cls = load_be16(&m[pos + 2]);
      rr.ttl = load_be32(&m[pos + 4]);
      size_t rdlength = load_be16(&m[pos + 8]);
      pos += 10;
      if (pos + rdlength > m.size()) {
        error = "resource record data past the end";
        return std::nullopt;
      }
      rr.data = render_rdata(m, pos, rdlength, rr.type);
      pos += rdlength;
      sections[s]->push_back(std::move(rr));
    }
  }
  return msg;
}

}  // namespace trawl
