#include "kube/names_keeper.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kube/names_file.h"

namespace trawl::kube {
namespace {

constexpr int64_t kT0 = int64_t(1767225600) * 1000000;  // 2026-01-01T00:00:00Z

Object pod(const std::string& name, const std::string& ip, const std::string& app = "web") {
  Pod p;
  p.meta.name = name;
  p.meta.namespace_ = "shop";
  p.meta.labels = {{"app", app}};
  p.meta.uid = "uid-" + name;
  p.meta.resource_version = "7";
  p.phase = "Running";
  p.ips = {ip};
  p.container_ports = {{"http", "TCP", 80}};
  return p;
}

struct Dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("trawl-keeper-" + std::to_string(::getpid()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
};

TEST(KubeObjectJson, ReadsBackToWhatIdentityKeeps) {
  Object o = pod("web-1", "10.0.0.1");
  std::get<Pod>(o).meta.owners = {{"ReplicaSet", "web-5d", true}};
  std::get<Pod>(o).meta.created_us = kT0 + 123456;
  trim_for_identity(o);
  Object back;
  std::string error;
  ASSERT_TRUE(parse_object(object_json(o), back, error)) << error;
  EXPECT_EQ(object_json(back), object_json(o));
  EXPECT_EQ(meta_of(back).created_us, kT0 + 123456);
  EXPECT_TRUE(std::get<Pod>(back).container_ports.empty());  // not hostNetwork: not kept
  EXPECT_EQ(format_rfc3339_us(kT0 + 5), "2026-01-01T00:00:00.000005Z");
}

TEST(KubeNamesKeeper, ARelistReleasesWhatVanishedAndOnlyChangesAreWritten) {
  Dir d;
  std::string path = (d.path / "names.jsonl").string();
  {
    NamesKeeper k(nullptr, path);
    k.replace("Pod", {pod("a", "10.0.0.1"), pod("b", "10.0.0.2")}, kT0);
    Object status_only = pod("a", "10.0.0.1");
    std::get<Pod>(status_only).meta.resource_version = "8";
    k.apply(status_only, false, kT0 + 1000);                  // nothing identity reads changed
    k.replace("Pod", {pod("a", "10.0.0.1")}, kT0 + 2000000);  // b vanished meanwhile
    k.publish_now();
    auto book = k.feed()->current();
    ASSERT_NE(book->lookup("10.0.0.2", 80, kT0 + 1), nullptr);
    EXPECT_EQ(book->lookup("10.0.0.2", 80, kT0 + 2000001), nullptr);
    EXPECT_EQ(book->lookup("10.0.0.1", 80, kT0 + 2000001)->name, "a");
    Json s = k.stats(kT0);
    EXPECT_EQ(s.find("history_lines_written")->integer(), 3);  // a, b added; b deleted
  }
  // A restart reloads the history: the same names at the same times.
  NamesKeeper again(nullptr, path);
  auto book = again.feed()->current();
  EXPECT_EQ(book->lookup("10.0.0.2", 80, kT0 + 1)->name, "b");
  EXPECT_EQ(book->lookup("10.0.0.2", 80, kT0 + 2000001), nullptr);
  // And `--names` reads the same file.
  EXPECT_EQ(load_names(path)->lookup("10.0.0.2", 80, kT0 + 1)->name, "b");
}

// A worker following a hub: first everything, then only what changed; a hub
// that restarted answers everything again, and what it lost is gone.
TEST(KubeNamesKeeper, AFollowerTakesASnapshotThenChangesThenASnapshotAgain) {
  Dir d;
  NamesKeeper hub(nullptr, (d.path / "hub.jsonl").string());
  NamesKeeper worker(nullptr, "");
  hub.replace("Pod", {pod("a", "10.0.0.1"), pod("b", "10.0.0.2")}, kT0);
  auto first = hub.changes_since("");
  EXPECT_TRUE(first.snapshot);
  EXPECT_EQ(worker.apply_changes(first, kT0 + 1), 0u);
  EXPECT_EQ(worker.feed()->current()->lookup("10.0.0.2", 80, kT0 + 2)->name, "b");
  auto none = hub.changes_since(first.next);
  EXPECT_FALSE(none.snapshot);
  EXPECT_EQ(none.lines, "");
  EXPECT_EQ(none.next, first.next);
  hub.apply(pod("c", "10.0.0.3"), false, kT0 + 10);
  hub.apply(pod("a", "10.0.0.1"), true, kT0 + 20);
  auto changes = hub.changes_since(first.next);
  EXPECT_FALSE(changes.snapshot);
  EXPECT_EQ(std::count(changes.lines.begin(), changes.lines.end(), '\n'), 2);
  worker.apply_changes(changes, kT0 + 30);
  auto book = worker.feed()->current();
  EXPECT_EQ(book->lookup("10.0.0.3", 80, kT0 + 15)->name, "c");
  EXPECT_EQ(book->lookup("10.0.0.1", 80, kT0 + 15)->name, "a");      // at its time, still a
  EXPECT_EQ(book->lookup("10.0.0.1", 80, kT0 + 25), nullptr);        // deleted at +20
  NamesKeeper restarted(nullptr, (d.path / "hub2.jsonl").string());  // lost b meanwhile
  restarted.replace("Pod", {pod("c", "10.0.0.3")}, kT0 + 40);
  auto again = restarted.changes_since(changes.next);  // another journal's position
  EXPECT_TRUE(again.snapshot);
  worker.apply_changes(again, kT0 + 50);
  book = worker.feed()->current();
  EXPECT_EQ(book->lookup("10.0.0.2", 80, kT0 + 45)->name, "b");  // until the snapshot came
  EXPECT_EQ(book->lookup("10.0.0.2", 80, kT0 + 55), nullptr);
  EXPECT_EQ(book->lookup("10.0.0.3", 80, kT0 + 55)->name, "c");
  NamesKeeper::Changes junk{"not json\n{\"type\":\"BOOKMARK\"}\n", "x:0", false};
  EXPECT_EQ(worker.apply_changes(junk, kT0 + 60), 2u);
}

TEST(KubeNamesKeeper, ALineCutByACrashIsSkippedAndCounted) {
  Dir d;
  std::string path = (d.path / "names.jsonl").string();
  {
    NamesKeeper k(nullptr, path);
    k.apply(pod("a", "10.0.0.1"), false, kT0);
  }
  std::ofstream(path, std::ios::app) << "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Po";
  NamesKeeper k(nullptr, path);
  EXPECT_EQ(k.stats(kT0).find("history_lines_skipped")->integer(), 1);
  EXPECT_EQ(k.feed()->current()->lookup("10.0.0.1", 1, kT0 + 1)->name, "a");
}

TEST(KubeNamesKeeper, AFullHistoryIsRotatedKeepingWhatIsHeld) {
  Dir d;
  std::string path = (d.path / "names.jsonl").string();
  NamesKeeper k(nullptr, path, 600);
  for (int i = 0; i < 10; ++i)
    k.apply(pod("p" + std::to_string(i), "10.0.1." + std::to_string(i)), false, kT0 + i);
  k.apply(pod("p0", "10.0.1.0"), true, kT0 + 100);
  k.publish_now();
  ASSERT_EQ(k.history_files().size(), 2u);
  // The newest file alone still names every pod held when it began.
  auto h = load_names(path);
  EXPECT_EQ(h->lookup("10.0.1.9", 1, kT0 + 50)->name, "p9");
}

}  // namespace
}  // namespace trawl::kube
