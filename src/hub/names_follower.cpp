#include "hub/names_follower.h"

#include "base/clock.h"
#include "entries/json_parse.h"

namespace trawl::hub {

NamesFollower::NamesFollower(Member hub, std::string token, kube::NamesKeeper& keeper,
                             std::chrono::milliseconds every)
    : hub_(std::move(hub)), token_(std::move(token)), keeper_(keeper), every_(every) {
  thread_ = std::thread([this] { run(); });
}

NamesFollower::~NamesFollower() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NamesFollower::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    ask_once();
    lock.lock();
    wake_.wait_for(lock, every_, [this] { return stopping_; });
  }
}

// Counted as the "hub" resource in the worker's kube stats: a snapshot is a
// list, each line an event.
void NamesFollower::ask_once() {
  auto fail = [&](const std::string& why) {
    keeper_.count("hub", [&](kube::ResourceWatchStats& s) {
      ++s.errors;
      s.synced = false;
      s.last_error = why;
    });
  };
  auto answers = get_all(
      {hub_}, [&](size_t) { return "/api/names/changes?since=" + api::url_encode(position_); },
      token_, std::chrono::seconds(10), size_t(512) << 20);
  const Answer& a = answers[0];
  if (a.status != 200) return fail(a.status ? "HTTP " + std::to_string(a.status) : a.error);
  Json body;
  const Json *next, *snapshot, *lines;
  if (!parse_json(a.body, body) || !body.is_object() || !(next = body.find("next")) ||
      !next->is_string() || !(snapshot = body.find("snapshot")) || !snapshot->is_bool() ||
      !(lines = body.find("lines")) || !lines->is_string())
    return fail("the hub's answer is not a names change");
  kube::NamesKeeper::Changes c{lines->str(), next->str(), snapshot->boolean()};
  size_t events = size_t(std::count(c.lines.begin(), c.lines.end(), '\n'));
  size_t bad = keeper_.apply_changes(c, wall_clock_us());
  position_ = c.next;
  keeper_.count("hub", [&](kube::ResourceWatchStats& s) {
    s.lists += c.snapshot;
    s.events += events - bad;
    s.malformed += bad;
    s.synced = true;
    if (events) s.last_event_us = wall_clock_us();
  });
}

}  // namespace trawl::hub
