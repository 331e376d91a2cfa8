#include "sinks/live_hub.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

kfl::Query query(std::string_view text) {
  kfl::CompileError error;
  auto q = kfl::Query::compile(text, error);
  EXPECT_TRUE(q) << text;
  return std::move(*q);
}

Entry redis_entry(uint64_t id) {
  Entry e;
  e.id = id;
  e.protocol = "redis";
  e.layer4 = "tcp";
  e.src = {"10.0.0.1", 40000};
  e.dst = {"10.0.0.2", 6379};
  return e;
}

TEST(LiveHub, PeakSubscribersStaysAfterTheyLeave) {
  LiveHub hub;
  std::vector<std::shared_ptr<LiveSubscription>> subs;
  for (int i = 0; i < 5; ++i) subs.push_back(hub.subscribe(query(""), {}, [] {}));
  hub.unsubscribe(subs[0]);
  hub.unsubscribe(subs[0]);  // twice: nothing more
  subs.push_back(hub.subscribe(query(""), {}, [] {}));
  EXPECT_EQ(hub.subscribers(), 5u);
  EXPECT_EQ(hub.peak_subscribers(), 5u);
  for (auto& s : subs) hub.unsubscribe(s);
  EXPECT_EQ(hub.subscribers(), 0u);
  EXPECT_EQ(hub.peak_subscribers(), 5u);
}

TEST(LiveHub, FullQueueSkipsAndCountsAlsoAfterTheClientLeft) {
  LiveHub hub;
  auto slow = hub.subscribe(query(""), {.max_entries = 2, .max_bytes = 1 << 20}, [] {});
  auto other = hub.subscribe(query("http"), {}, [] {});
  for (uint64_t id = 1; id <= 5; ++id) hub.publish(redis_entry(id));
  EXPECT_EQ(slow->skipped(), 3u);
  EXPECT_EQ(other->take().size(), 0u);  // its query matches none of them
  auto got = slow->take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0]->find(R"("id":"1")"), std::string::npos) << *got[0];
  hub.unsubscribe(slow);
  EXPECT_EQ(hub.skipped(), 3u);
}

// A hub's client hears of what a member skipped before it reached the hub.
TEST(LiveHub, SkippedUpstreamIsCountedAndTheClientWoken) {
  int wakes = 0;
  LiveSubscription sub(query(""), {.max_entries = 1, .max_bytes = 1 << 20}, [&] { ++wakes; });
  sub.push(std::make_shared<const std::string>("{}"));
  sub.push(std::make_shared<const std::string>("{}"));  // over the limit: skipped here
  sub.add_skipped(40);
  EXPECT_EQ(sub.skipped(), 41u);
  EXPECT_EQ(wakes, 2);  // the first entry, and the count with nothing new queued
}

// A hub's subscription is acknowledged once all its sources feed it: ready
// at the last source, and the client woken then (to send the acknowledgement).
TEST(LiveHub, ASubscriptionWaitingForSourcesIsReadyAtTheLast) {
  int wakes = 0;
  LiveSubscription sub(query(""), {}, [&] { ++wakes; });
  EXPECT_TRUE(sub.ready());  // a worker's: at once
  sub.wait_for_sources(2);
  EXPECT_FALSE(sub.ready());
  sub.source_ready();
  EXPECT_FALSE(sub.ready());
  EXPECT_EQ(wakes, 0);
  sub.source_ready();
  EXPECT_TRUE(sub.ready());
  EXPECT_EQ(wakes, 1);
}

}  // namespace
}  // namespace trawl
