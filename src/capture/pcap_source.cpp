#include "capture/pcap_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace trawl {

namespace {

constexpr uint32_t kPcapMagicMicro = 0xA1B2C3D4;
constexpr uint32_t kPcapMagicNano = 0xA1B23C4D;
constexpr uint32_t kPcapngSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kPcapngByteOrder = 0x1A2B3C4D;
constexpr int64_t kLatestTimestampUs = 253402300799LL * 1000000;  // 9999-12-31T23:59:59Z
constexpr uint32_t kMaxBlock = 64 << 20;  // larger blocks mean a damaged file

enum BlockType : uint32_t {
  kInterfaceDescription = 1,
  kPacketObsolete = 2,
  kSimplePacket = 3,
  kEnhancedPacket = 6,
};

uint32_t bswap32(uint32_t v) {
  return __builtin_bswap32(v);
}

// LINKTYPE_* values in files that differ from the host's DLT_* values.
int dlt_from_linktype(int linktype) {
  switch (linktype) {
    case linktype::kRaw:
      return linktype::kRawDlt;
    default:
      return linktype;
  }
}

}  // namespace

PcapSource::PcapSource(const std::string& path) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw std::runtime_error(path + ": is a directory, not a capture file");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    owns_fd_ = true;
    struct stat st;
    regular_file_ = fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  }
  try {
    read_file_header(path);
  } catch (...) {
    if (owns_fd_) ::close(fd_);
    throw;
  }
}

void PcapSource::read_file_header(const std::string& path) {
  uint32_t magic;
  if (!read_exact(&magic, 4)) throw std::runtime_error(path + ": empty or unreadable input");
  if (magic == kPcapngSectionHeader) {
    pcapng_ = true;
    // Read blocks up to the first interface so link_type() is known.
    uint8_t rest[8];
    if (!read_exact(rest, 8)) throw std::runtime_error(path + ": truncated pcapng header");
    uint32_t order;
    std::memcpy(&order, rest + 4, 4);
    if (order != kPcapngByteOrder && bswap32(order) != kPcapngByteOrder)
      throw std::runtime_error(path + ": bad pcapng byte-order magic");
    swapped_ = order != kPcapngByteOrder;
    uint32_t total = u32(rest);
    if (total < 28 || total > kMaxBlock) throw std::runtime_error(path + ": bad pcapng section");
    if (!read_into_block(0, total - 12))
      throw std::runtime_error(path + ": truncated pcapng section");
    // Packets name an interface declared before them: read up to the first.
    while (first_link_type_ < 0) {
      uint32_t type;
      Bytes body;
      if (!read_block(type, body))
        throw std::runtime_error(path + ": pcapng without an interface" +
                                 (error_.empty() ? "" : " (" + error_ + ")"));
      if (type == kInterfaceDescription) interface_description(body);
      if (type == kEnhancedPacket || type == kSimplePacket || type == kPacketObsolete)
        throw std::runtime_error(path + ": pcapng packet before any interface");
    }
    return;
  }
  swapped_ = magic == bswap32(kPcapMagicMicro) || magic == bswap32(kPcapMagicNano);
  uint32_t m = swapped_ ? bswap32(magic) : magic;
  if (m != kPcapMagicMicro && m != kPcapMagicNano)
    throw std::runtime_error(path + ": not a pcap or pcapng file");
  nanoseconds_ = m == kPcapMagicNano;
  uint8_t header[20];
  if (!read_exact(header, 20)) throw std::runtime_error(path + ": truncated pcap header");
  first_link_type_ = dlt_from_linktype(int(u32(header + 16) & 0x0FFFFFFF));
}

PcapSource::~PcapSource() {
  if (owns_fd_) ::close(fd_);
}

size_t PcapSource::read_some(void* out, size_t n) {
  fill(n);
  n = std::min(n, buffer_end_ - buffer_pos_);
  std::memcpy(out, buffer_.data() + buffer_pos_, n);
  buffer_pos_ += n;
  return n;
}

bool PcapSource::take(size_t n, const uint8_t*& at) {
  if (!fill(n)) {
    buffer_pos_ = buffer_end_;
    return false;
  }
  at = buffer_.data() + buffer_pos_;
  buffer_pos_ += n;
  return true;
}

// Makes the read buffer hold at least n bytes from buffer_pos_ on, unless the
// input ends first. The buffer grows with the bytes that really arrive, so a
// cut or damaged file that claims a 64 MiB record costs what it holds; a pipe
// gives what it has, so a frame is not held back for a whole chunk.
bool PcapSource::fill(size_t n) {
  constexpr size_t kChunk = 256 << 10;
  if (buffer_end_ - buffer_pos_ >= n) return true;
  if (buffer_pos_ > 0) {  // (an empty buffer has no data to move)
    std::memmove(buffer_.data(), buffer_.data() + buffer_pos_, buffer_end_ - buffer_pos_);
    buffer_offset_ += buffer_pos_;
    buffer_end_ -= buffer_pos_;
    buffer_pos_ = 0;
  }
  while (buffer_end_ < n) {
    if (buffer_.size() - buffer_end_ < kChunk / 2)
      buffer_.resize(std::max(2 * buffer_.size(), buffer_end_ + kChunk));
    ssize_t got = ::read(fd_, buffer_.data() + buffer_end_, buffer_.size() - buffer_end_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(std::string("reading: ") + std::strerror(errno));
    if (got == 0) return false;
    buffer_end_ += size_t(got);
  }
  return true;
}

bool PcapSource::read_into_block(size_t offset, size_t n) {
  // Grows with the bytes that really arrive, so a cut or damaged file that claims
  // a 64 MiB record costs what it holds, not what it claims.
  size_t end = offset + n, step = 64 << 10;
  while (offset < end) {
    size_t chunk = std::min(step, end - offset);
    block_.resize(offset + chunk);
    if (!read_exact(block_.data() + offset, chunk)) return false;
    offset += chunk;
    step *= 2;
  }
  block_.resize(end);
  return true;
}

uint16_t PcapSource::u16(const uint8_t* p) const {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return swapped_ ? __builtin_bswap16(v) : v;
}

uint32_t PcapSource::u32(const uint8_t* p) const {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped_ ? bswap32(v) : v;
}

bool PcapSource::fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);  // the first cause, not its consequence
  ended_ = true;
  return false;
}

bool PcapSource::next(Frame& frame) {
  if (ended_) return false;
  return pcapng_ ? next_pcapng(frame) : next_pcap(frame);
}

bool PcapSource::next_pcap(Frame& frame) {
  uint8_t h[16];
  size_t got = read_some(h, 16);
  if (got == 0) return false;
  if (got < 16) return fail("truncated record header");
  uint32_t caplen = u32(h + 8);
  if (caplen > kMaxBlock) return fail("record of " + std::to_string(caplen) + " bytes");
  const uint8_t* data;
  if (!take(caplen, data)) return fail("truncated record");
  uint32_t frac = u32(h + 4);
  frame.timestamp_us = int64_t(u32(h)) * 1000000 + (nanoseconds_ ? frac / 1000 : frac);
  frame.link_type = first_link_type_;
  frame.interface = 0;
  frame.data = Bytes(data, caplen);
  frame.wire_length = u32(h + 12);
  return true;
}

bool PcapSource::read_block(uint32_t& type, Bytes& body) {
  uint8_t h[8];
  size_t got = read_some(h, 8);
  if (got == 0) return false;
  if (got < 8) return fail("truncated block header");
  uint32_t raw_type;
  std::memcpy(&raw_type, h, 4);
  if (raw_type == kPcapngSectionHeader) {
    // A new section may switch byte order: look at its byte-order magic first.
    uint32_t order;
    if (!read_exact(&order, 4)) return fail("truncated section header");
    swapped_ = order != kPcapngByteOrder;
    uint32_t total = u32(h + 4);
    if (total < 28 || total > kMaxBlock) return fail("bad section header length");
    block_.resize(4);
    std::memcpy(block_.data(), &order, 4);
    if (!read_into_block(4, total - 16)) return fail("truncated section");
    type = kPcapngSectionHeader;
    body = Bytes(block_.data(), block_.size() - 4);
    return true;
  }
  type = u32(h);
  uint32_t total = u32(h + 4);
  if (total < 12 || total % 4 || total > kMaxBlock)
    return fail("bad block length " + std::to_string(total));
  const uint8_t* at;
  if (!take(total - 8, at)) return fail("truncated block");
  body = Bytes(at, total - 12);  // without the trailing length
  return true;
}

void PcapSource::section_header(Bytes) {
  interfaces_.clear();
}

void PcapSource::interface_description(Bytes body) {
  Interface iface{-1, 1000000, 0};
  if (body.size() >= 8) {
    iface.link_type = dlt_from_linktype(u16(body.data()));
    size_t pos = 8;
    while (pos + 4 <= body.size()) {
      uint16_t code = u16(&body[pos]), len = u16(&body[pos + 2]);
      pos += 4;
      if (code == 0 || pos + len > body.size()) break;
      if (code == 9 && len >= 1) {  // if_tsresol
        uint8_t v = body[pos];
        uint64_t units = 1;
        if (v & 0x80) {
          units = (v & 0x7F) < 63 ? uint64_t(1) << (v & 0x7F) : 0;
        } else {
          for (int i = 0; i < v && units; ++i) units = units > UINT64_MAX / 10 ? 0 : units * 10;
        }
        if (units) iface.units_per_second = units;
      } else if (code == 14 && len >= 8) {  // if_tsoffset
        uint64_t v;
        std::memcpy(&v, &body[pos], 8);
        iface.offset_seconds = int64_t(swapped_ ? __builtin_bswap64(v) : v);
      }
      pos += (len + 3u) & ~3u;
    }
  }
  if (first_link_type_ < 0) first_link_type_ = iface.link_type;
  interfaces_.push_back(iface);
}

bool PcapSource::next_pcapng(Frame& frame) {
  while (true) {
    uint32_t type;
    Bytes body;
    if (!read_block(type, body)) return false;
    switch (type) {
      case kPcapngSectionHeader:
        section_header(body);
        continue;
      case kInterfaceDescription:
        interface_description(body);
        continue;
      case kEnhancedPacket:
      case kPacketObsolete: {
        if (body.size() < 20) return fail("short packet block");
        uint32_t iface;
        uint64_t ts;
        uint32_t caplen, origlen;
        if (type == kEnhancedPacket) {
          iface = u32(&body[0]);
        } else {
          iface = u16(&body[0]);
        }
        ts = uint64_t(u32(&body[4])) << 32 | u32(&body[8]);
        caplen = u32(&body[12]);
        origlen = u32(&body[16]);
        if (iface >= interfaces_.size()) return fail("packet of an undeclared interface");
        if (caplen > body.size() - 20) return fail("packet longer than its block");
        const Interface& i = interfaces_[iface];
        // Clamped to years 1970-9999, so that later time arithmetic cannot overflow.
        __int128 us = (unsigned __int128)ts * 1000000 / i.units_per_second +
                      (__int128)i.offset_seconds * 1000000;
        frame.timestamp_us = int64_t(std::clamp<__int128>(us, 0, kLatestTimestampUs));
        frame.link_type = i.link_type;
        frame.interface = iface;
        frame.data = body.subspan(20, caplen);
        frame.wire_length = origlen;
        return true;
      }
      case kSimplePacket: {
        if (body.size() < 4 || interfaces_.empty()) return fail("bad simple packet block");
        uint32_t origlen = u32(&body[0]);
        frame.timestamp_us = 0;
        frame.link_type = interfaces_[0].link_type;
        frame.interface = 0;
        frame.data = body.subspan(4, std::min<size_t>(origlen, body.size() - 4));
        frame.wire_length = origlen;
        return true;
      }
      default:
        continue;  // name resolution, statistics, custom blocks
    }
  }
}

}  // namespace trawl
