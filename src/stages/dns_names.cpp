#include "stages/dns_names.h"

#include <algorithm>
#include <mutex>

namespace trawl {

namespace {

const std::string* text_field(const Json& o, std::string_view key) {
  const Json* v = o.is_object() ? o.find(key) : nullptr;
  return v && v->is_string() ? &v->str() : nullptr;
}

}  // namespace

void DnsNames::learn(const Entry& e) {
  if (e.protocol != "dns" || !e.response || !e.response->is_object()) return;
  const Json* answers = e.response->find("answers");
  const Json* questions = e.response->find("questions");
  if (!answers || !answers->is_array() || !questions || !questions->is_array() ||
      questions->items().empty())
    return;
  const std::string* asked = text_field(questions->items().front(), "name");
  if (!asked || asked->empty()) return;
  std::string name = *asked;
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  int64_t answered_us = e.timestamp_us + int64_t(e.elapsed_ms * 1000);
  for (const Json& a : answers->items()) {
    const std::string* type = text_field(a, "type");
    const std::string* data = text_field(a, "data");
    if (type && data && (*type == "A" || *type == "AAAA")) remember(*data, name, answered_us);
  }
}

void DnsNames::remember(const std::string& ip, const std::string& name, int64_t at_us) {
  std::unique_lock lock(mutex_);
  auto [it, added] = by_ip_.try_emplace(ip);
  std::vector<Named>& names = it->second;
  auto later =
      std::find_if(names.begin(), names.end(), [&](const Named& n) { return n.from_us > at_us; });
  if (later != names.begin() && *std::prev(later)->name == name) return;  // known since before
  names.insert(later, {at_us, std::make_shared<const std::string>(name)});
  if (names.size() > kNamesPerAddress) names.erase(names.begin());
  generation_.fetch_add(1, std::memory_order_release);
  if (!added) return;
  learned_.push_back(ip);
  if (learned_.size() > max_) {
    by_ip_.erase(learned_.front());
    learned_.pop_front();
  }
}

std::shared_ptr<const std::string> DnsNames::name_of(std::string_view ip, int64_t ts_us,
                                                     int64_t* from_us, int64_t* to_us) const {
  std::shared_lock lock(mutex_);
  auto it = by_ip_.find(std::string(ip));
  if (it == by_ip_.end()) return nullptr;
  std::shared_ptr<const std::string> out;
  for (const Named& n : it->second) {
    if (n.from_us > ts_us) {
      if (to_us) *to_us = std::min(*to_us, n.from_us);
      break;
    }
    out = n.name;
    if (from_us) *from_us = std::max(*from_us, n.from_us);
  }
  return out;
}

}  // namespace trawl
