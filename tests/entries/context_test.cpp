#include "entries/context.h"

#include <gtest/gtest.h>

#include "entries/entry.h"

namespace trawl {
namespace {

using F = ContextField;

Json object_of(std::initializer_list<std::pair<const char*, const char*>> kv) {
  Json o = Json::object();
  for (auto [k, v] : kv) o.set(k, v);
  return o;
}

std::vector<EntryContext::Field> dst_identity() {
  std::vector<EntryContext::Field> f;
  f.emplace_back(F::kDstName, "web-0");
  f.emplace_back(F::kDstNamespace, "shop");
  f.emplace_back(F::kDstKind, "pod");
  f.emplace_back(F::kDstLabels, object_of({{"app", "web"}}));
  return f;
}

// Shared fields read and write exactly as the same fields set one by one.
TEST(EntryContext, SharedFieldsAreTheSameAsOwnOnes) {
  Entry shared, own;
  for (Entry* e : {&shared, &own}) {
    e->src = {"10.0.0.2", 40000};
    e->dst = {"10.0.0.1", 80};
    e->context.set(F::kSrcPid, Json(int64_t(42)));
    e->context.set(F::kDstDns, "web.shop.svc.cluster.local");  // after the shared ones
    e->context.set(F::kNodeName, "n1");
  }
  shared.context.share(1, SharedContextFields::make(dst_identity()));
  for (auto& [f, v] : dst_identity()) own.context.set(f, v);
  std::string a, b;
  write_entry_json(a, shared);
  write_entry_json(b, own);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find(R"("dst":{"ip":"10.0.0.1","port":80,"name":"web-0","namespace":"shop",)"
                   R"("kind":"pod","labels":{"app":"web"},"dns":"web.shop.svc.cluster.local"})"),
            std::string::npos)
      << a;
  EXPECT_EQ(shared.context.size(), own.context.size());
  std::vector<F> order_a, order_b;
  shared.context.for_each([&](F f, const Json&) { order_a.push_back(f); });
  own.context.for_each([&](F f, const Json&) { order_b.push_back(f); });
  EXPECT_EQ(order_a, order_b);
  ASSERT_TRUE(shared.context.get(F::kDstNamespace));
  EXPECT_EQ(shared.context.get(F::kDstNamespace)->dump(), "\"shop\"");
}

// Lent fields are the lender's until the entry moves or is copied: then the
// entry holds them, and they outlive the lender's reference (ASan would see
// a read of freed fields here).
TEST(EntryContext, AMovedOrCopiedEntryOwnsWhatWasLent) {
  auto block = SharedContextFields::make(dst_identity());
  Entry lent;
  lent.dst = {"10.0.0.1", 80};
  lent.context.lend(1, block.get());
  EXPECT_EQ(block.use_count(), 1);  // lending takes no reference
  std::string before;
  write_entry_json(before, lent);
  Entry moved = std::move(lent);
  Entry copied = moved;
  EXPECT_EQ(block.use_count(), 3);
  EXPECT_EQ(lent.context.shared(1), nullptr);
  block.reset();  // the lender lets go
  for (const Entry* e : {&moved, &copied}) {
    std::string after;
    write_entry_json(after, *e);
    EXPECT_EQ(after, before);
    ASSERT_TRUE(e->context.get(F::kDstName));
    EXPECT_EQ(e->context.get(F::kDstName)->dump(), "\"web-0\"");
  }
  moved.context.clear();
  EXPECT_EQ(moved.context.shared(1), nullptr);
}

TEST(EntryContext, SettingASharedFieldMakesTheSideOwn) {
  auto block = SharedContextFields::make(dst_identity());
  EntryContext c;
  c.set(F::kDstName, "replaced by the share");
  c.share(1, block);
  EXPECT_EQ(c.get(F::kDstName)->dump(), "\"web-0\"");
  EXPECT_EQ(c.size(), 4u);
  c.set(F::kDstKind, "service");
  EXPECT_EQ(c.shared(1), nullptr);
  EXPECT_EQ(c.get(F::kDstKind)->dump(), "\"service\"");
  EXPECT_EQ(c.get(F::kDstName)->dump(), "\"web-0\"");
  EXPECT_EQ(c.size(), 4u);
  EXPECT_EQ(block->fields[2].second.dump(), "\"pod\"");  // the shared copy is untouched
  c.clear();
  EXPECT_TRUE(c.empty());
}

TEST(EntryContext, SharedFieldsMustBeOneSideInOrderAndOfTheirType) {
  EXPECT_EQ(SharedContextFields::make({}), nullptr);
  EXPECT_EQ(SharedContextFields::make({{F::kSrcName, "a"}, {F::kDstName, "b"}}), nullptr);
  EXPECT_EQ(SharedContextFields::make({{F::kDstKind, "pod"}, {F::kDstName, "b"}}), nullptr);
  EXPECT_EQ(SharedContextFields::make({{F::kDstLabels, "not an object"}}), nullptr);
  EXPECT_EQ(SharedContextFields::make({{F::kNodeName, "n1"}}), nullptr);
  auto ok = SharedContextFields::make({{F::kSrcName, "a"}, {F::kSrcKind, "pod"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->json, R"(,"name":"a","kind":"pod")");
}

}  // namespace
}  // namespace trawl
