#include "store/packet_ring.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "decode/decoder.h"

namespace trawl {

namespace {

constexpr uint32_t kSectionHeader = 0x0A0D0D0A, kInterfaceDescription = 1, kEnhancedPacket = 6;

void put32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void put16(std::string& out, uint16_t v) {
  out.append(reinterpret_cast<const char*>(&v), 2);
}

// Ring files of every thread, oldest first within a thread: t<thread>-<seq>.pcapng.
std::vector<std::filesystem::path> ring_files(const std::string& dir, int thread = -1) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = f.path().filename().string();
    if (!name.ends_with(".pcapng") || name[0] != 't') continue;
    if (thread >= 0 && !name.starts_with("t" + std::to_string(thread) + "-")) continue;
    out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

PacketRing::PacketRing(PacketRingSettings settings, int thread)
    : settings_(std::move(settings)), thread_(thread) {
  std::error_code ec;
  std::filesystem::create_directories(settings_.dir, ec);
  if (ec)
    throw std::runtime_error("packet ring: cannot create " + settings_.dir + ": " + ec.message());
  // Files of an earlier run stay, within the budget, for the entries they back.
  for (const auto& p : ring_files(settings_.dir, thread_)) {
    uint64_t size = std::filesystem::file_size(p, ec);
    closed_.emplace_back(p.string(), ec ? 0 : size);
    total_bytes_ += ec ? 0 : size;
    std::string name = p.filename().string();
    next_seq_ = std::max<uint64_t>(next_seq_, std::stoull(name.substr(name.find('-') + 1)) + 1);
  }
  open_next();
}

PacketRing::~PacketRing() {
  if (file_) std::fclose(file_);
}

void PacketRing::write(const void* data, size_t n) {
  if (std::fwrite(data, 1, n, file_) == n) {
    file_size_ += n;
    total_bytes_ += n;
  }
}

void PacketRing::open_next() {
  if (file_) {
    std::fclose(file_);
    closed_.emplace_back(path_, file_size_);
  }
  while (!closed_.empty() && total_bytes_ + settings_.file_bytes > settings_.max_bytes) {
    std::remove(closed_.front().first.c_str());
    total_bytes_ -= std::min(total_bytes_, closed_.front().second);
    closed_.pop_front();
  }
  char name[64];
  std::snprintf(name, sizeof name, "/t%d-%010llu.pcapng", thread_,
                static_cast<unsigned long long>(next_seq_++));
  path_ = settings_.dir + name;
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_)
    throw std::runtime_error("packet ring: cannot write " + path_ + ": " + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  file_size_ = 0;
  interfaces_.clear();
  std::string shb;
  put32(shb, kSectionHeader);
  put32(shb, 28);
  put32(shb, 0x1A2B3C4D);
  put16(shb, 1);
  put16(shb, 0);
  put32(shb, 0xFFFFFFFF);  // section length unknown (-1)
  put32(shb, 0xFFFFFFFF);
  put32(shb, 28);
  write(shb.data(), shb.size());
}

void PacketRing::add(const Frame& frame) {
  if (file_size_ >= settings_.file_bytes) open_next();
  auto it = interfaces_.find(frame.link_type);
  if (it == interfaces_.end()) {
    std::string idb;
    put32(idb, kInterfaceDescription);
    put32(idb, 20);
    put16(idb, uint16_t(frame.link_type));
    put16(idb, 0);
    put32(idb, 262144);
    put32(idb, 20);
    write(idb.data(), idb.size());
    it = interfaces_.emplace(frame.link_type, uint32_t(interfaces_.size())).first;
  }
  uint32_t caplen = uint32_t(frame.data.size());
  uint32_t padded = (caplen + 3) & ~3u;
  uint32_t length = 32 + padded;
  uint64_t ts = uint64_t(frame.timestamp_us);  // default resolution: microseconds
  uint32_t head[7] = {kEnhancedPacket, length, it->second,       uint32_t(ts >> 32),
                      uint32_t(ts),    caplen, frame.wire_length};
  write(head, sizeof head);
  write(frame.data.data(), caplen);
  static const uint8_t kZeros[4] = {};
  write(kZeros, padded - caplen);
  write(&length, 4);
}

void PacketRing::flush() {
  if (file_) std::fflush(file_);
}

std::optional<std::string> export_connection(const std::string& dir, const std::string& layer4,
                                             const EntryEndpoint& a, const EntryEndpoint& b) {
  uint8_t proto = layer4 == "tcp" ? kTcp : layer4 == "udp" ? kUdp : layer4 == "sctp" ? kSctp : 0;
  if (!proto) return std::nullopt;
  std::string out;
  int link_type = -1;
  Packet packet;
  for (const auto& path : ring_files(dir)) {
    std::unique_ptr<PcapSource> source;
    try {
      source = std::make_unique<PcapSource>(path.string());
    } catch (const std::exception&) {
      continue;  // removed by the ring meanwhile, or not yet written
    }
    Decoder decoder;
    Frame frame;
    while (source->next(frame)) {
      if (link_type >= 0 && frame.link_type != link_type) continue;
      if (decoder.decode(frame, packet) != DecodeResult::kPacket || packet.protocol != proto)
        continue;
      std::string src = packet.src.to_string(), dst = packet.dst.to_string();
      bool forward =
          src == a.ip && packet.src_port == a.port && dst == b.ip && packet.dst_port == b.port;
      bool backward =
          src == b.ip && packet.src_port == b.port && dst == a.ip && packet.dst_port == a.port;
      if (!forward && !backward) continue;
      if (link_type < 0) {
        link_type = frame.link_type;
        uint32_t header[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 262144, uint32_t(link_type)};
        out.append(reinterpret_cast<const char*>(header), sizeof header);
      }
      uint32_t record[4] = {uint32_t(frame.timestamp_us / 1000000),
                            uint32_t(frame.timestamp_us % 1000000), uint32_t(frame.data.size()),
                            frame.wire_length};
      out.append(reinterpret_cast<const char*>(record), sizeof record);
      out.append(reinterpret_cast<const char*>(frame.data.data()), frame.data.size());
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace trawl
