#include "capture/live_capture.h"

#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/clock.h"

namespace trawl {

namespace {

std::string activation_error(pcap_t* p, int status, const std::string& interface) {
  std::string detail = pcap_geterr(p);
  switch (status) {
    case PCAP_ERROR_PERM_DENIED:
      return "capture on " + interface +
             " is not permitted: trawl needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous "
             "mode); run it as root or grant them with `setcap cap_net_raw,cap_net_admin+ep` (" +
             detail + ")";
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return "no interface named " + interface + " (" + detail + ")";
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "promiscuous mode on " + interface + " needs CAP_NET_ADMIN (" + detail + ")";
    default:
      return "cannot capture on " + interface + ": " + pcap_statustostr(status) +
             (detail.empty() ? "" : " (" + detail + ")");
  }
}

}  // namespace

// pcap_stats() is read by the handle's own thread only (libpcap is not
// thread-safe), every idle tick, into 64-bit totals other threads can read.
struct LiveCaptureCounters {
  std::atomic<uint64_t> received{0}, kernel_drops{0}, interface_drops{0};
  pcap_stat last{};  // libpcap's 32-bit counts at the previous read
};

struct LiveCapture::Handle {
  pcap_t* pcap = nullptr;
  std::string interface;
  int link_type = 0;
  std::unique_ptr<LiveCaptureCounters> counters =
      std::make_unique<LiveCaptureCounters>();  // stable for readers
};

LiveCapture::LiveCapture(const LiveCaptureSettings& s) {
  std::vector<std::string> interfaces = s.interfaces;
  if (interfaces.empty()) interfaces.push_back("any");
  int threads = std::max(1, s.threads);
  per_thread_.resize(size_t(threads));
  char errbuf[PCAP_ERRBUF_SIZE];
  for (size_t i = 0; i < interfaces.size(); ++i) {
    const std::string& name = interfaces[i];
    // One fanout group per interface: the kernel groups sockets of one device.
    uint16_t group = uint16_t((getpid() * 31 + int(i)) & 0xFFFF);
    for (int t = 0; t < threads; ++t) {
      pcap_t* p = pcap_create(name.c_str(), errbuf);
      if (!p) throw std::runtime_error("cannot capture on " + name + ": " + errbuf);
      per_thread_[size_t(t)].push_back({p, name, 0});  // closed by the destructor from here on
      pcap_set_snaplen(p, s.snaplen);
      pcap_set_promisc(p, s.promiscuous && name != "any");
      pcap_set_timeout(p, s.block_timeout_ms);
      pcap_set_buffer_size(p, s.ring_mb << 20);
      int status = pcap_activate(p);
      if (status < 0) throw std::runtime_error(activation_error(p, status, name));
      if (!s.bpf.empty()) {
        bpf_program program;
        if (pcap_compile(p, &program, s.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
          throw std::runtime_error("capture filter \"" + s.bpf + "\": " + pcap_geterr(p));
        int rc = pcap_setfilter(p, &program);
        pcap_freecode(&program);
        if (rc != 0) throw std::runtime_error("capture filter: " + std::string(pcap_geterr(p)));
      }
      if (pcap_setnonblock(p, 1, errbuf) != 0)
        throw std::runtime_error("cannot capture on " + name + ": " + errbuf);
      if (threads > 1) {
        int arg = group | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
        if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
          throw std::runtime_error("cannot spread " + name +
                                   " over threads (PACKET_FANOUT): " + std::strerror(errno));
      }
      per_thread_[size_t(t)].back().link_type = pcap_datalink(p);
    }
  }
}

LiveCapture::~LiveCapture() {
  for (auto& handles : per_thread_)
    for (auto& h : handles) pcap_close(h.pcap);
}

void LiveCapture::run(int t, const std::function<void(const Frame&)>& on_frame,
                      const std::function<void(int64_t)>& on_idle) {
  auto& handles = per_thread_[size_t(t)];
  std::vector<pollfd> fds;
  for (auto& h : handles) fds.push_back({pcap_get_selectable_fd(h.pcap), POLLIN, 0});
  struct Context {
    const std::function<void(const Frame&)>* on_frame;
    Frame frame;
  } ctx{&on_frame, {}};
  auto callback = [](u_char* user, const pcap_pkthdr* hdr, const u_char* bytes) {
    auto* c = reinterpret_cast<Context*>(user);
    c->frame.timestamp_us = int64_t(hdr->ts.tv_sec) * 1000000 + hdr->ts.tv_usec;
    c->frame.data = Bytes(bytes, hdr->caplen);
    c->frame.wire_length = hdr->len;
    (*c->on_frame)(c->frame);
  };
  int64_t last_idle = 0;
  while (!stop_) {
    int ready = poll(fds.data(), fds.size(), 100);
    if (ready > 0) {
      for (size_t i = 0; i < handles.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLERR))) continue;
        ctx.frame.link_type = handles[i].link_type;
        ctx.frame.interface = uint32_t(i);
        // Bounded batches keep one busy interface from starving the others.
        pcap_dispatch(handles[i].pcap, 4096, callback, reinterpret_cast<u_char*>(&ctx));
      }
    }
    int64_t now = wall_clock_us();
    if (now - last_idle >= 100'000 || ready == 0) {
      for (auto& h : handles) read_counters(h);
      on_idle(now);
      last_idle = now;
    }
  }
  for (auto& h : handles) read_counters(h);
}

// libpcap's counts are 32-bit and wrap (at 1M packets/s, in about 70 minutes):
// differences modulo 2^32 between reads 100 ms apart are added to 64-bit totals.
void LiveCapture::read_counters(Handle& h) {
  pcap_stat st{};
  if (pcap_stats(h.pcap, &st) != 0) return;
  LiveCaptureCounters& c = *h.counters;
  auto add = [](std::atomic<uint64_t>& total, u_int now, u_int before) {
    total.fetch_add(uint32_t(now - before), std::memory_order_relaxed);
  };
  add(c.received, st.ps_recv, c.last.ps_recv);
  add(c.kernel_drops, st.ps_drop, c.last.ps_drop);
  add(c.interface_drops, st.ps_ifdrop, c.last.ps_ifdrop);
  c.last = st;
}

std::vector<InterfaceStats> LiveCapture::stats() const {
  std::vector<InterfaceStats> out;
  for (const auto& handles : per_thread_) {
    for (const auto& h : handles) {
      InterfaceStats* s = nullptr;
      for (auto& o : out)
        if (o.name == h.interface) s = &o;
      if (!s) s = &out.emplace_back(InterfaceStats{h.interface});
      s->received += h.counters->received.load(std::memory_order_relaxed);
      s->kernel_drops += h.counters->kernel_drops.load(std::memory_order_relaxed);
      s->interface_drops += h.counters->interface_drops.load(std::memory_order_relaxed);
    }
  }
  return out;
}

}  // namespace trawl
