#include "hub/hub.h"

#include <algorithm>
#include <set>

#include "base/clock.h"
#include "entries/json_parse.h"
#include "hub/merge.h"
#include "hub/streams.h"

namespace trawl::hub {

namespace {

using api::Reply;

// A reply made whole on the query pool (a fan-out waits on the network).
class MadeOnPool : public api::SlicedReply {
 public:
  explicit MadeOnPool(std::function<Reply()> make) : make_(std::move(make)) {}
  bool next(std::string& out, const api::SliceBudget&) override {
    Reply r = make_();
    status = r.status;
    content_type = r.content_type;
    headers = r.headers;
    out += r.body;
    return true;
  }

 private:
  std::function<Reply()> make_;
};

api::Routed on_pool(std::function<Reply()> make) {
  api::Routed r;
  r.sliced = std::make_unique<MadeOnPool>(std::move(make));
  return r;
}

Reply json_reply(const Json& j, int status = 200) {
  Reply r = api::text_reply("application/json", j.dump());
  r.status = status;
  return r;
}

// Adds every number of `from` into `into`, member by member (objects nest);
// a member hub's own members are in its sums already.
void add_numbers(Json& into, const Json& from) {
  for (const auto& [key, value] : from.fields()) {
    if (key == "nodes" || key == "members" || key == "api" || key == "kube") continue;
    if (value.is_int()) {
      Json& slot = into[key];
      slot = Json((slot.is_int() ? slot.integer() : 0) + value.integer());
    } else if (value.is_object()) {
      Json& slot = into[key];
      if (!slot.is_object()) slot = Json::object();
      add_numbers(slot, value);
    }
  }
}

// A Prometheus sample line with label key="value" added first.
std::string with_label(std::string_view line, std::string_view key, std::string_view value) {
  std::string label = std::string(key) + "=\"" + std::string(value) + "\"";
  size_t brace = line.find('{'), space = line.find(' ');
  if (brace != std::string_view::npos && brace < space)
    return std::string(line.substr(0, brace + 1)) + label + "," +
           std::string(line.substr(brace + 1));
  return std::string(line.substr(0, space)) + "{" + label + "}" + std::string(line.substr(space));
}

}  // namespace

HubBackend::HubBackend(HubSettings settings)
    : settings_(std::move(settings)),
      members_(std::make_shared<const Members>(settings_.members)),
      streams_(std::make_unique<Streams>(settings_.token)) {}

HubBackend::~HubBackend() = default;

void HubBackend::set_members(Members members) {
  std::lock_guard lock(mutex_);
  for (auto it = health_.begin(); it != health_.end();)
    it = std::any_of(members.begin(), members.end(),
                     [&](const Member& m) { return m.name == it->first; })
             ? std::next(it)
             : health_.erase(it);
  members_ = std::make_shared<const Members>(std::move(members));
}

std::shared_ptr<const Members> HubBackend::members() const {
  std::lock_guard lock(mutex_);
  return members_;
}

std::optional<Member> HubBackend::member(const std::string& name) const {
  for (const Member& m : *members())
    if (m.name == name) return m;
  return std::nullopt;
}

std::vector<Answer> HubBackend::ask(const Members& members,
                                    const std::function<std::string(const Member&)>& target_of,
                                    size_t max_body) {
  auto answers = get_all(
      members, [&](size_t i) { return target_of(members[i]); }, settings_.token,
      settings_.member_timeout, max_body);
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < members.size(); ++i) {
    Health& h = health_[members[i].name];
    h.asked = true;
    h.up = answers[i].status != 0 && answers[i].status != 401 && answers[i].status < 500;
    h.error = h.up                ? ""
              : answers[i].status ? "HTTP " + std::to_string(answers[i].status)
                                  : answers[i].error;
    if (h.up) h.last_answer_us = wall_clock_us();
  }
  return answers;
}

Json HubBackend::members_json() const {
  auto list = members();
  std::lock_guard lock(mutex_);
  Json out = Json::array();
  for (const Member& m : *list) {
    auto it = health_.find(m.name);
    Health h = it == health_.end() ? Health{} : it->second;
    Json o = Json::object();
    o.set("name", m.name);
    o.set("url", "http://" + m.url.authority());
    o.set("up", h.asked ? Json(h.up) : Json());
    if (!h.error.empty()) o.set("error", h.error);
    if (h.last_answer_us) o.set("lastAnswerUs", h.last_answer_us);
    out.push(std::move(o));
  }
  return out;
}

Reply HubBackend::entries(const api::Target& t) {
  auto param = [&](const char* k) {
    auto it = t.params.find(k);
    return it == t.params.end() ? std::string() : it->second;
  };
  if (!param("after").empty())
    return api::error_reply(400, "the hub pages with before=<next> only, not after");
  kfl::CompileError error;
  if (!kfl::Query::compile(param("q"), error)) {
    Json o = Json::object();
    o.set("valid", false), o.set("error", error.text());
    o.set("line", error.line), o.set("column", error.column);
    return json_reply(o, 400);
  }
  size_t limit = 100;
  if (std::string l = param("limit"); !l.empty()) {
    if (l.size() > 6 || l.find_first_not_of("0123456789") != std::string::npos)
      return api::error_reply(400, "limit: not a number: " + l);
    limit = std::clamp<size_t>(std::stoul(l), 1, 10000);
  }
  Cursor cursor;
  if (!Cursor::parse(param("before"), cursor))
    return api::error_reply(400, "before: not a cursor this hub gave");
  Members asked;
  for (const Member& m : *members())
    if (!cursor.is_done(m.name)) asked.push_back(m);
  std::string common =
      "/api/entries?limit=" + std::to_string(limit) + "&q=" + api::url_encode(param("q"));
  auto answers = ask(asked, [&](const Member& m) {
    auto b = cursor.before.find(m.name);
    return common + (b == cursor.before.end() ? "" : "&before=" + api::url_encode(b->second));
  });
  std::vector<MemberPage> pages;
  for (size_t i = 0; i < asked.size(); ++i) pages.push_back({&asked[i], &answers[i]});
  return json_reply(merge_pages(pages, cursor, limit));
}

// /api/entries/{member~id}[/pcap]: asked of that member only.
Reply HubBackend::entry(std::string_view id_and_rest) {
  std::string_view id = id_and_rest.substr(0, id_and_rest.find('/'));
  std::string_view rest = id_and_rest.substr(id.size());
  std::string name, member_id;
  std::optional<Member> m;
  if (!split_hub_id(id, name, member_id) || !(m = member(name)))
    return api::error_reply(404, "no entry " + std::string(id) + " (ids here are <node>~<id>)");
  auto answers = ask(
      Members{*m},
      [&](const Member&) {
        return "/api/entries/" + api::url_encode(member_id) + std::string(rest);
      },
      size_t(1) << 30);
  const Answer& a = answers[0];
  if (a.status == 0) return api::error_reply(504, name + ": " + a.error);
  Reply r;
  r.status = a.status;
  r.body = a.body;
  if (rest == "/pcap" && a.status == 200) {
    r.content_type = "application/vnd.tcpdump.pcap";
  } else if (Json e; a.status == 200 && parse_json(a.body, e) && e.is_object()) {
    if (const Json* v = e.find("id"); v && v->is_string()) e["id"] = Json(hub_id(name, v->str()));
    r.body = e.dump();
  }
  return r;
}

Reply HubBackend::stats(api::ApiCounters* counters) {
  auto list = members();
  auto answers = ask(*list, [](const Member&) { return std::string("/api/stats"); });
  Json nodes = Json::object(), total = Json::object(), missing = Json::array();
  for (size_t i = 0; i < answers.size(); ++i) {
    Json s;
    if (answers[i].status == 200 && parse_json(answers[i].body, s) && s.is_object()) {
      add_numbers(total, s);
      nodes.set((*list)[i].name, std::move(s));
    } else {
      missing.push((*list)[i].name);
    }
  }
  Json out = std::move(total);  // the shape of a worker's stats, summed: the dashboard reads it
  out.set("members", members_json());
  if (!missing.items().empty()) out.set("partial", true), out.set("missing", std::move(missing));
  out.set("nodes", std::move(nodes));
  if (settings_.names) out.set("kube", settings_.names->stats(wall_clock_us()));
  if (counters) out.set("api", counters->to_json());
  return json_reply(out);
}

// Every member's metrics with its name as a label ("node", or "cluster" for a
// member hub whose lines name their nodes already), each family's help once.
Reply HubBackend::metrics(api::ApiCounters* counters) {
  auto list = members();
  auto answers = ask(*list, [](const Member&) { return std::string("/metrics"); });
  Reply r = api::text_reply("text/plain; version=0.0.4", "");
  std::set<std::string> described;
  r.body +=
      "# HELP trawl_hub_member_up Whether the member answered the hub's last question.\n"
      "# TYPE trawl_hub_member_up gauge\n";
  for (size_t i = 0; i < answers.size(); ++i)
    r.body += "trawl_hub_member_up{member=\"" + (*list)[i].name + "\"} " +
              (answers[i].status == 200 ? "1" : "0") + "\n";
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].status != 200) continue;
    std::string_view text = answers[i].body;
    while (!text.empty()) {
      std::string_view line = text.substr(0, text.find('\n'));
      text.remove_prefix(std::min(text.size(), line.size() + 1));
      if (line.empty()) continue;
      if (line.starts_with("#")) {
        if (described.insert(std::string(line)).second) r.body += std::string(line) + "\n";
        continue;
      }
      bool named = line.find("node=\"") != std::string_view::npos;
      r.body += with_label(line, named ? "cluster" : "node", (*list)[i].name) + "\n";
    }
  }
  if (settings_.names) settings_.names->render_metrics(r.body, wall_clock_us());
  if (counters) counters->write_metrics(r.body);
  return r;
}

api::Routed HubBackend::route_get(const api::Target& t, const std::string& ui_dir,
                                  api::ApiCounters* counters) {
  if (auto common = api::route_common(t, ui_dir)) {
    api::Routed r;
    r.reply = std::move(*common);
    return r;
  }
  if (t.path == "/api/entries") return on_pool([this, t] { return entries(t); });
  if (t.path.starts_with("/api/entries/"))
    return on_pool([this, rest = t.path.substr(13)] { return entry(rest); });
  if (t.path == "/api/stats") return on_pool([this, counters] { return stats(counters); });
  if (t.path == "/metrics") return on_pool([this, counters] { return metrics(counters); });
  if (t.path == "/api/names" || t.path == "/api/names/changes")  // a snapshot may be large
    return on_pool([this, t] { return api::names_reply(settings_.names.get(), t); });
  if (t.path == "/api/members") {
    api::Routed r;
    r.reply = json_reply(members_json());
    return r;
  }
  api::Routed r;
  r.reply = api::error_reply(404, "no such endpoint at the hub: " + t.path);
  return r;
}

std::shared_ptr<LiveSubscription> HubBackend::subscribe(kfl::Query query, const std::string& text,
                                                        StreamQueueLimits limits,
                                                        std::function<void()> wake) {
  return streams_->subscribe(std::move(query), text, limits, std::move(wake), *members());
}

void HubBackend::unsubscribe(const std::shared_ptr<LiveSubscription>& s) {
  streams_->unsubscribe(s);
}

}  // namespace trawl::hub
