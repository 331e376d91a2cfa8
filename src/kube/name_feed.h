// The address book the entry stages read. A writer publishes a new book whole;
// a stage sees the generation change between entries and takes the new one,
// so no entry waits on a lock and no book changes while a stage reads it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "kube/identity.h"

namespace trawl::kube {

class NameFeed {
 public:
  explicit NameFeed(std::shared_ptr<const AddressBook> first = std::make_shared<AddressBook>())
      : book_(std::move(first)) {}

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const AddressBook> current() const {
    std::lock_guard lock(mutex_);
    return book_;
  }
  void publish(std::shared_ptr<const AddressBook> book) {
    std::lock_guard lock(mutex_);
    book_ = std::move(book);
    generation_.fetch_add(1, std::memory_order_release);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const AddressBook> book_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace trawl::kube
