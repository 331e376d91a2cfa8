#include "base/memory_budget.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(MemoryBudget, SharesTakeWithinTheLimitAndGiveBackWhenGone) {
  MemoryBudget budget(1000);
  {
    BudgetShare a(&budget), b(&budget);
    EXPECT_TRUE(a.take(600));
    EXPECT_FALSE(b.take(500));  // would go over: refused, counted
    EXPECT_EQ(budget.refusals(), 1u);
    EXPECT_TRUE(b.take(400));
    EXPECT_EQ(budget.used(), 1000u);
    EXPECT_TRUE(a.resize(100));
    EXPECT_EQ(budget.used(), 500u);
    BudgetShare moved = std::move(a);
    EXPECT_EQ(moved.held(), 100u);
    EXPECT_EQ(a.held(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.peak(), 1000u);
  BudgetShare unbounded;  // no budget: always taken
  EXPECT_TRUE(unbounded.take(1u << 30));
}

// Many small holdings charge the budget a chunk at a time, and give it all back
// once none is held.
TEST(MemoryBudget, ChunkedSharesTouchTheBudgetOncePerChunk) {
  MemoryBudget budget(64 * 1024);
  ChunkedShare share(&budget, 16 * 1024);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(share.take(100));
  EXPECT_EQ(share.used(), 10000u);
  EXPECT_EQ(budget.used(), 16u * 1024);
  for (int i = 0; i < 99; ++i) share.give(100);
  EXPECT_EQ(budget.used(), 16u * 1024);  // still held: one holding remains
  share.give(100);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_FALSE(share.take(100 * 1024));  // more than the whole budget
  EXPECT_EQ(share.used(), 0u);
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace trawl
