#include "protocols/icmp/icmp.h"

#include <cstring>

#include "dissect/entry_problem.h"

namespace trawl {

namespace {

bool is_echo_request(bool v6, uint8_t type) {
  return v6 ? type == 128 : type == 8;
}
bool is_echo_reply(bool v6, uint8_t type) {
  return v6 ? type == 129 : type == 0;
}
bool is_error(bool v6, uint8_t type) {
  return v6 ? (type >= 1 && type <= 4)
            : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
}

const char* type_name(bool v6, uint8_t type) {
  if (v6) {
    switch (type) {
      case 1:
        return "destination-unreachable";
      case 2:
        return "packet-too-big";
      case 3:
        return "time-exceeded";
      case 4:
        return "parameter-problem";
      case 128:
        return "echo-request";
      case 129:
        return "echo-reply";
      case 130:
        return "mld-query";
      case 131:
        return "mld-report";
      case 133:
        return "router-solicitation";
      case 134:
        return "router-advertisement";
      case 135:
        return "neighbor-solicitation";
      case 136:
        return "neighbor-advertisement";
      case 137:
        return "redirect";
      case 143:
        return "mldv2-report";
    }
    return "other";
  }
  switch (type) {
    case 0:
      return "echo-reply";
    case 3:
      return "destination-unreachable";
    case 4:
      return "source-quench";
    case 5:
      return "redirect";
    case 8:
      return "echo-request";
    case 9:
      return "router-advertisement";
    case 10:
      return "router-solicitation";
    case 11:
      return "time-exceeded";
    case 12:
      return "parameter-problem";
    case 13:
      return "timestamp";
    case 14:
      return "timestamp-reply";
  }
  return "other";
}

// The quoted packet of an ICMP error: IP header and the first L4 bytes.
Json quoted_packet(Bytes q) {
  Json out = Json::object();
  if (q.empty()) return out;
  IpAddress src, dst;
  uint8_t protocol;
  Bytes l4;
  if ((q[0] >> 4) == 4 && q.size() >= 20) {
    size_t hl = (q[0] & 15) * 4;
    if (hl < 20 || q.size() < hl) return out;
    std::memcpy(src.bytes.data(), &q[12], 4);
    std::memcpy(dst.bytes.data(), &q[16], 4);
    protocol = q[9];
    l4 = q.subspan(hl);
  } else if ((q[0] >> 4) == 6 && q.size() >= 40) {
    src.v6 = dst.v6 = true;
    std::memcpy(src.bytes.data(), &q[8], 16);
    std::memcpy(dst.bytes.data(), &q[24], 16);
    protocol = q[6];
    l4 = q.subspan(40);
  } else {
    return out;
  }
  out.set("src", src.to_string());
  out.set("dst", dst.to_string());
  out.set("protocol", protocol);
  if ((protocol == kTcp || protocol == kUdp || protocol == kSctp) && l4.size() >= 4) {
    out.set("srcPort", load_be16(&l4[0]));
    out.set("dstPort", load_be16(&l4[2]));
  }
  return out;
}

}  // namespace

void IcmpTracker::add(const Packet& p) {
  expire(p.timestamp_us);
  bool v6 = p.protocol == kIcmpv6;
  Bytes m = p.l4;
  uint8_t type = m[0], code = m[1];
  ++counters_.messages;

  Json fields = Json::object();
  fields.set("type", type);
  fields.set("code", code);
  fields.set("typeName", type_name(v6, type));
  uint16_t id = 0, seq = 0;
  bool echo = is_echo_request(v6, type) || is_echo_reply(v6, type);
  if (echo) {
    if (m.size() < 8) {
      ++counters_.malformed;
      echo = false;
    } else {
      id = load_be16(&m[4]);
      seq = load_be16(&m[6]);
      fields.set("id", id);
      fields.set("seq", seq);
    }
  }
  if (is_error(v6, type) && m.size() > 8) fields.set("original", quoted_packet(m.subspan(8)));

  if (echo && is_echo_reply(v6, type)) {
    auto it = pending_.find(EchoKey{p.dst, p.src, id, seq});
    if (it != pending_.end()) {
      Entry e = std::move(it->second.entry);
      pending_.erase(it);
      e.elapsed_ms = double(p.timestamp_us - e.timestamp_us) / 1000.0;
      e.response_size = m.size();
      e.response = std::move(fields);
      sink_.emit(std::move(e));
      return;
    }
  }
  Entry e;
  e.protocol = "icmp";
  e.version = v6 ? "6" : "4";
  e.layer4 = "icmp";
  e.src = {p.src.to_string(), 0};
  e.dst = {p.dst.to_string(), 0};
  e.timestamp_us = p.timestamp_us;
  e.stream = "icmp:" + e.src.ip + "-" + e.dst.ip;
  if (echo && is_echo_reply(v6, type)) {
    // A reply whose request was not captured: the request side is the requester
    // as the reply names it, without a type.
    std::swap(e.src, e.dst);
    e.request.set("id", id);
    e.request.set("seq", seq);
    e.response_size = m.size();
    e.response = std::move(fields);
    mark_problem(e, EntryProblem::kNoRequest, counters_);
    sink_.emit(std::move(e));
    return;
  }
  e.request = std::move(fields);
  e.request_size = m.size();
  if (echo) {
    EchoKey key{p.src, p.dst, id, seq};
    auto [it, fresh] = pending_.try_emplace(key);
    if (!fresh) {  // a repeated request: the earlier one got no reply
      mark_problem(it->second.entry, EntryProblem::kNoResponse, counters_);
      sink_.emit(std::move(it->second.entry));
    }
    it->second = PendingEcho{std::move(e), ++generation_};
    by_time_.emplace_back(p.timestamp_us, key, generation_);
    return;
  }
  sink_.emit(std::move(e));
}

void IcmpTracker::expire(int64_t now) {
  while (!by_time_.empty() && now - std::get<0>(by_time_.front()) > kEchoTimeoutUs) {
    auto [ts, key, generation] = by_time_.front();
    by_time_.pop_front();
    auto it = pending_.find(key);
    if (it == pending_.end() || it->second.generation != generation) continue;
    mark_problem(it->second.entry, EntryProblem::kNoResponse, counters_);
    sink_.emit(std::move(it->second.entry));
    pending_.erase(it);
  }
}

void IcmpTracker::finish() {
  by_time_.clear();
  for (auto& [key, p] : pending_) {
    mark_problem(p.entry, EntryProblem::kNoResponse, counters_);
    sink_.emit(std::move(p.entry));
  }
  pending_.clear();
}

}  // namespace trawl
