// Live frames from network interfaces: libpcap on AF_PACKET TPACKET_V3 rings,
// one socket per interface per thread, the threads joined in a PACKET_FANOUT
// group by flow hash so a flow's packets always reach the same thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/frame.h"

namespace trawl {

struct LiveCaptureSettings {
  std::vector<std::string> interfaces;  // empty or "any": every interface, new ones too
  std::string bpf;                      // capture filter, tcpdump syntax
  bool promiscuous = false;
  int threads = 1;
  int snaplen = 262144;
  int ring_mb = 32;           // kernel ring per socket
  int block_timeout_ms = 50;  // a partly filled ring block is handed over after this
};

// Counters of one interface, summed over the threads (libpcap's pcap_stats:
// the kernel's PACKET_STATISTICS), as of each thread's last idle tick (100 ms
// at most ago).
struct InterfaceStats {
  std::string name;
  uint64_t received = 0;
  uint64_t kernel_drops = 0;     // the ring was full
  uint64_t interface_drops = 0;  // dropped by the interface or driver
};

class LiveCapture {
 public:
  // Opens every socket; throws std::runtime_error saying what is missing (an
  // interface, a privilege, a bad filter) when capture cannot start.
  explicit LiveCapture(const LiveCaptureSettings& settings);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  int threads() const { return int(per_thread_.size()); }
  // Thread `t`'s loop: frames go to `on_frame`; `on_idle` runs at least every
  // 100 ms with the current time. Returns after stop().
  void run(int t, const std::function<void(const Frame&)>& on_frame,
           const std::function<void(int64_t now_us)>& on_idle);
  void stop() { stop_ = true; }
  std::vector<InterfaceStats> stats() const;

 private:
  struct Handle;  // one socket (libpcap's), defined where libpcap is used
  static void read_counters(Handle& h);
  std::vector<std::vector<Handle>> per_thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace trawl
