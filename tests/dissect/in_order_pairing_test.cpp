#include "dissect/in_order_pairing.h"

#include <gtest/gtest.h>

#include <vector>

namespace trawl {
namespace {

struct Request {
  int n = 0;
  bool answered = false;
  uint64_t held = 0;
};

TEST(InOrderPairing, PastTheBoundTheOldestGoAndTheirRepliesAreKnown) {
  DissectorSettings settings;
  settings.max_in_flight = 3;
  settings.max_pending_bytes = 100;
  DissectCounters counters;
  InOrderPairing<Request> pairing(settings, counters);
  std::vector<int> evicted;
  auto evict = [&](Request& old) -> uint64_t {
    evicted.push_back(old.n);
    return old.answered ? 0 : 1;
  };
  for (int n = 1; n <= 5; ++n) {
    Request& r = pairing.add(evict);
    r.n = n;
    r.answered = n == 2;  // its reply came, but it waits behind request 1
    pairing.hold(r, 30);
  }
  EXPECT_EQ(evicted, (std::vector<int>{1, 2}));
  EXPECT_EQ(counters.pipeline_evictions, 2u);
  EXPECT_EQ(pairing.held_bytes(), 90u);
  EXPECT_FALSE(pairing.over_byte_budget(10));
  EXPECT_TRUE(pairing.over_byte_budget(11));
  // One reply is still due to request 1; request 2 owed none.
  EXPECT_TRUE(pairing.reply_to_evicted());
  EXPECT_FALSE(pairing.reply_to_evicted());
  EXPECT_EQ(pairing.take_oldest().n, 3);
  EXPECT_EQ(pairing.held_bytes(), 60u);
  EXPECT_EQ(pairing.oldest().n, 4);
  // The bound is read when it is used: a dissector's settings may change.
  settings.max_in_flight = 2;
  pairing.add(evict).n = 6;
  EXPECT_EQ(evicted.back(), 4);
  EXPECT_EQ(pairing.count(), 2u);
  EXPECT_EQ(pairing.waiting(1).n, 6);
}

TEST(SlotQueue, KeepsOrderAndPlacesAcrossGrowthAndResetsWhatLeaves) {
  SlotQueue<Request> queue;
  std::vector<Request*> places;
  int next = 1, oldest = 1;
  // Wrapped around the ring before it grows, twice.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 7; ++i) {
      Request& r = queue.emplace_back();
      EXPECT_EQ(r.n, 0) << "a reused slot starts as new";
      r.n = next++;
      places.push_back(&r);
    }
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(queue.front().n, oldest);
      EXPECT_EQ(&queue.front(), places[size_t(oldest - 1)]) << "it stayed where it was";
      queue.pop_front();
      ++oldest;
    }
  }
  ASSERT_EQ(queue.size(), size_t(next - oldest));
  for (size_t i = 0; i < queue.size(); ++i) EXPECT_EQ(queue[i].n, oldest + int(i));
  while (!queue.empty()) queue.pop_front();
  queue.emplace_back().n = 99;  // after it emptied (and gave back slots)
  EXPECT_EQ(queue.front().n, 99);
  EXPECT_EQ(queue.size(), 1u);
}

}  // namespace
}  // namespace trawl
