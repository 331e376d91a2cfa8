// Names learned from the DNS answers trawl sees: an address's `dns` at a time
// is the name it was last resolved from by then (the question's name, through
// any CNAMEs), shared by every pipeline thread. (Threads of one read take
// entries in step, not in one order: an entry within that skew of the answer
// that names its address may be named in one run and not in another.)
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "entries/entry.h"

namespace trawl {

class DnsNames {
 public:
  explicit DnsNames(size_t max_addresses = 1 << 16) : max_(max_addresses) {}
  // A DNS entry's A and AAAA answers; any other entry is ignored.
  void learn(const Entry& e);
  // The name `ip` was last resolved from at `ts_us`, or nullptr. The same
  // pointer while the name stays the same. `from_us`/`to_us`, when given, are
  // narrowed to the times with the same answer (while nothing new is learned).
  std::shared_ptr<const std::string> name_of(std::string_view ip, int64_t ts_us,
                                             int64_t* from_us = nullptr,
                                             int64_t* to_us = nullptr) const;
  // Bumped whenever a name is learned.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Named {
    int64_t from_us;
    std::shared_ptr<const std::string> name;
  };
  static constexpr size_t kNamesPerAddress = 4;  // the latest, in time order
  void remember(const std::string& ip, const std::string& name, int64_t at_us);

  const size_t max_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<Named>> by_ip_;
  std::deque<std::string> learned_;
  std::atomic<uint64_t> generation_{0};  // in the order learned, to forget the oldest first
};

}  // namespace trawl
