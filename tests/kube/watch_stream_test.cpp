#include "kube/watch_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace trawl::kube {
namespace {

using Type = WatchEvent::Type;

struct Seen {
  std::vector<WatchEvent> events;
  std::vector<std::string> errors;
};

Seen drain(WatchStream& s) {
  Seen out;
  WatchEvent e;
  std::string error;
  while (s.next(e, error)) {
    if (error.empty())
      out.events.push_back(e);
    else
      out.errors.push_back(error);
  }
  return out;
}

// As the API server writes them: one event a line.
const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"shop","resourceVersion":"11"},"status":{"podIP":"10.244.1.7"}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"shop","resourceVersion":"12"},"status":{"podIP":"10.244.1.7","phase":"Running"}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"15"}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"shop","resourceVersion":"16"}}})"
    "\n"
    R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 3 (9)","reason":"Expired","code":410}})J"
    "\n";

void expect_stream_events(const Seen& seen) {
  ASSERT_TRUE(seen.errors.empty()) << seen.errors[0];
  ASSERT_EQ(seen.events.size(), 5u);
  EXPECT_EQ(seen.events[0].type, Type::kAdded);
  EXPECT_EQ(std::get<Pod>(seen.events[0].object).ips, std::vector<std::string>{"10.244.1.7"});
  EXPECT_EQ(seen.events[0].resource_version, "11");
  EXPECT_EQ(seen.events[1].type, Type::kModified);
  EXPECT_EQ(std::get<Pod>(seen.events[1].object).phase, "Running");
  EXPECT_EQ(seen.events[2].type, Type::kBookmark);
  EXPECT_EQ(seen.events[2].resource_version, "15");
  EXPECT_EQ(seen.events[3].type, Type::kDeleted);
  EXPECT_EQ(meta_of(seen.events[3].object).name, "web-1");
  EXPECT_EQ(seen.events[4].type, Type::kError);
  EXPECT_EQ(seen.events[4].error_code, 410);
  EXPECT_EQ(seen.events[4].error_message, "too old resource version: 3 (9)");
}

TEST(KubeWatchStream, EventsWholeOrCutAnywhere) {
  WatchStream whole;
  whole.feed(kStream);
  expect_stream_events(drain(whole));
  EXPECT_EQ(whole.held(), 0u);
  for (size_t step : {1, 7, 64, 500}) {
    WatchStream cut;
    Seen seen;
    for (size_t at = 0; at < kStream.size(); at += step) {
      cut.feed(std::string_view(kStream).substr(at, step));
      Seen more = drain(cut);
      seen.events.insert(seen.events.end(), more.events.begin(), more.events.end());
      seen.errors.insert(seen.errors.end(), more.errors.begin(), more.errors.end());
    }
    expect_stream_events(seen);
  }
}

TEST(KubeWatchStream, ABrokenEventCostsItsLineAlone) {
  WatchStream s(256);
  s.feed("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\n");  // cut short
  s.feed("\r\n   \n");                                                     // blank lines
  s.feed("{\"type\":\"RENAMED\",\"object\":{}}\n");
  s.feed("{\"type\":\"ADDED\"}\n");
  s.feed("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\"}}\n");
  s.feed("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"" +
         std::string(300, 'x') + "\"}}}\n");
  s.feed(kStream);
  Seen seen = drain(s);
  ASSERT_EQ(seen.errors.size(), 5u);
  EXPECT_EQ(seen.errors[0], "not a watch event");
  EXPECT_EQ(seen.errors[1], "a watch event of unknown type \"RENAMED\"");
  EXPECT_EQ(seen.errors[2], "a watch event without an object");
  EXPECT_EQ(seen.errors[3], "an object without kind or metadata.name");
  EXPECT_EQ(seen.errors[4], "a watch event longer than 256 bytes");
  seen.errors.clear();
  expect_stream_events(seen);
}

TEST(KubeWatchStream, ALineTooLongIsNotKeptWhileItArrives) {
  WatchStream s(1024);
  s.feed("{\"type\":\"ADDED\",\"object\":{\"x\":\"");
  WatchEvent e;
  std::string error;
  for (int i = 0; i < 100; ++i) {
    s.feed(std::string(1000, 'y'));
    while (s.next(e, error)) EXPECT_EQ(error, "a watch event longer than 1024 bytes");
    EXPECT_LE(s.held(), 2048u);
  }
  s.feed("\"}}\n");
  s.feed(kStream);
  expect_stream_events(drain(s));
}

}  // namespace
}  // namespace trawl::kube
