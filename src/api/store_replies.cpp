#include "api/store_replies.h"

#include <charconv>

#include "entries/summary.h"
#include "query/kfl.h"
#include "store/packet_ring.h"

namespace trawl::api {

namespace {

constexpr uint64_t kDefaultLimit = 100, kMaxLimit = 10000;

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

Reply compile_error_reply(const kfl::CompileError& e) {
  Json o = Json::object();
  o.set("valid", false);
  o.set("error", e.text());
  o.set("line", e.line);
  o.set("column", e.column);
  Reply r;
  r.status = 400;
  o.write(r.body);
  return r;
}

Routed answer(Reply r) {
  Routed out;
  out.reply = std::move(r);
  return out;
}

// {"entries": [...], "count": n, "scanned": m, "next": "ID"}, written as the
// scan goes. Each slice resumes the scan below the last id it reached.
class EntriesPage : public SlicedReply {
 public:
  EntriesPage(Worker& worker, kfl::Query query, StoreRange range, uint64_t limit,
              ApiCounters* counters)
      : worker_(worker),
        query_(std::move(query)),
        range_(range),
        limit_(limit),
        counters_(counters) {}

  bool next(std::string& out, const SliceBudget& budget) override {
    if (!started_) {
      out += "{\"entries\":[";
      started_ = true;
    }
    if (matched_ >= limit_ || range_.max_id < range_.min_id) return finish(out, "");
    if (budget.request.stopped())
      return finish(out, stopped_reason(budget.request.past_deadline()));
    ScanControl control;
    control.deadline_ns = std::min(budget.request.deadline_ns(), budget.slice_end_ns());
    control.cancelled = &budget.request.flag();
    bool slice_full = false;
    uint64_t last_visited = 0;
    scanned_ += worker_.store().scan(
        range_,
        [&](Entry& e) {
          last_visited = e.id;
          if (!query_.matches(e)) return true;
          if (query_.redacts()) query_.redact(e);
          if (matched_++) out += ',';
          write_served_entry_json(out, e);
          oldest_ = e.id;
          if (matched_ >= limit_) return false;
          slice_full = budget.spent(out.size());
          return !slice_full;
        },
        &control);
    if (matched_ >= limit_) return finish(out, "");
    if (control.stopped) {
      range_.max_id = control.resume_below - 1;
    } else if (slice_full) {
      range_.max_id = last_visited - 1;
    } else {
      return finish(out, "");  // every entry in range was seen
    }
    if (range_.max_id < range_.min_id) return finish(out, "");
    if (budget.request.stopped())
      return finish(out, stopped_reason(budget.request.past_deadline()));
    return false;
  }

 private:
  // The rest of the object; `stopped` says why the page is partial ("" when it is not).
  bool finish(std::string& out, const std::string& stopped) {
    out += "],\"count\":" + std::to_string(matched_) + ",\"scanned\":" + std::to_string(scanned_);
    // The next page: entries older than the last one returned, or than the last one
    // looked at when the page was stopped.
    if (!stopped.empty()) {
      out += ",\"next\":\"" + std::to_string(range_.max_id + 1) + "\",\"partial\":true";
      Json reason(stopped);
      out += ",\"error\":";
      reason.write(out);
    } else if (matched_ == limit_ && limit_ > 0) {
      out += ",\"next\":\"" + std::to_string(oldest_) + "\"";
    }
    out += "}";
    return true;
  }

  std::string stopped_reason(bool deadline) {
    if (counters_) ++(deadline ? counters_->queries_timed_out : counters_->queries_cancelled);
    return deadline ? "the query reached its deadline before the end of the store: this page "
                      "is partial; ask for the next one with before=<next>"
                    : "the client went away";
  }

  Worker& worker_;
  kfl::Query query_;
  StoreRange range_;
  uint64_t limit_;
  ApiCounters* counters_;
  bool started_ = false;
  uint64_t matched_ = 0, scanned_ = 0, oldest_ = 0;
};

// One entry, read from its block.
class EntryReply : public SlicedReply {
 public:
  EntryReply(Worker& worker, uint64_t id) : worker_(worker), id_(id) {}
  bool next(std::string& out, const SliceBudget&) override {
    if (auto e = worker_.store().get(id_)) {
      write_served_entry_json(out, *e);
    } else {
      status = 404;
      out = error_reply(404, "no entry " + std::to_string(id_) + " in the store").body;
    }
    return true;
  }

 private:
  Worker& worker_;
  uint64_t id_;
};

// The packets of an entry's connection, read from the packet ring a slice at a time.
class PcapReply : public SlicedReply {
 public:
  PcapReply(Worker& worker, uint64_t id) : worker_(worker), id_(id) {
    content_type = "application/vnd.tcpdump.pcap";
    headers["Content-Disposition"] =
        "attachment; filename=\"trawl-" + std::to_string(id) + ".pcap\"";
  }
  bool next(std::string& out, const SliceBudget& budget) override {
    if (!export_) {
      auto e = worker_.store().get(id_);
      if (!e) return fail(out, "no entry " + std::to_string(id_) + " in the store");
      export_ =
          std::make_unique<ConnectionExport>(worker_.packets_dir(), e->layer4, e->src, e->dst);
    }
    bool done = export_->next(out, budget.max_bytes,
                              [&] { return budget.request.stopped() || budget.spent(out.size()); });
    if (!export_->found()) {
      if (done)
        return fail(out, "the packets of entry " + std::to_string(id_) +
                             " are no longer kept (or were never captured)");
      if (budget.request.stopped())
        return fail(out, "the search for the packets of entry " + std::to_string(id_) +
                             " reached its deadline");
    }
    // A pcap cannot say it is cut short: a stopped export ends where it got to.
    return done || budget.request.stopped();
  }

 private:
  bool fail(std::string& out, const std::string& why) {
    status = 404;
    content_type = "application/json";
    headers.clear();
    out = error_reply(404, why).body;
    return true;
  }

  Worker& worker_;
  uint64_t id_;
  std::unique_ptr<ConnectionExport> export_;
};

template <typename T, typename... Args>
Routed sliced(Args&&... args) {
  Routed r;
  r.sliced = std::make_unique<T>(std::forward<Args>(args)...);
  return r;
}

}  // namespace

Routed entries_page(Worker& worker, const Target& t, ApiCounters* counters) {
  auto param = [&](const char* name) -> const std::string* {
    auto it = t.params.find(name);
    return it == t.params.end() ? nullptr : &it->second;
  };
  uint64_t limit = kDefaultLimit, before = 0, after = 0;
  if (auto* l = param("limit"); l && (!parse_u64(*l, limit) || limit == 0 || limit > kMaxLimit))
    return answer(error_reply(400, "limit must be a whole number from 1 to 10000"));
  if (auto* b = param("before"); b && !parse_u64(*b, before))
    return answer(error_reply(400, "before must be an entry id"));
  if (auto* a = param("after"); a && !parse_u64(*a, after))
    return answer(error_reply(400, "after must be an entry id"));
  kfl::CompileError error;
  auto query = kfl::Query::compile(param("q") ? *param("q") : "", error);
  if (!query) return answer(compile_error_reply(error));
  StoreRange range;
  if (param("before")) {
    if (before == 0) limit = 0;  // no id is below 0
    range.max_id = before - 1;
  }
  if (after == UINT64_MAX) limit = 0;  // no id is above the largest
  range.min_id = after + 1;
  kfl::QueryBounds bounds = query->bounds();
  range.min_us = bounds.min_us;
  range.max_us = bounds.max_us;
  if (bounds.protocols) {
    range.protocols = 0;
    for (const auto& p : *bounds.protocols) range.protocols |= protocol_bit(p);
  }
  if (query->limit()) limit = std::min(limit, *query->limit());
  return sliced<EntriesPage>(worker, std::move(*query), range, limit, counters);
}

Routed entry_by_id(Worker& worker, std::string_view rest) {
  bool pcap = rest.ends_with("/pcap");
  if (pcap) rest.remove_suffix(5);
  uint64_t id;
  if (!parse_u64(rest, id))
    return answer(error_reply(400, "not an entry id: " + std::string(rest)));
  if (pcap) return sliced<PcapReply>(worker, id);
  return sliced<EntryReply>(worker, id);
}

}  // namespace trawl::api
