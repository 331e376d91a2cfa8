#include "protocols/redis/resp.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace trawl {

namespace {

constexpr size_t kMaxLine = 64 * 1024;  // a longer line is not RESP
constexpr size_t kMaxItems = 1024;      // elements kept per aggregate (all are counted)
constexpr size_t kMaxDepth = 64;        // nested aggregates
constexpr int64_t kMaxBulk = int64_t(1) << 40;

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool is_scalar(char t) {
  return t == '+' || t == '-' || t == ':' || t == '_' || t == '#' || t == ',' || t == '(';
}
bool is_bulk(char t) {
  return t == '$' || t == '!' || t == '=';
}
bool is_aggregate(char t) {
  return t == '*' || t == '%' || t == '~' || t == '>' || t == '|';
}

}  // namespace

void RespParser::feed(Bytes data, int64_t ts) {
  while (!data.empty()) {
    if (wire_ == 0) first_us_ = ts;
    if (state_ == State::kBulk) {
      size_t take = size_t(std::min<uint64_t>(data.size(), bulk_remaining_));
      uint64_t content_left = bulk_remaining_ > 2 ? bulk_remaining_ - 2 : 0;
      size_t content = size_t(std::min<uint64_t>(take, content_left));
      size_t room = bulk_.text.size() < max_text_ ? max_text_ - bulk_.text.size() : 0;
      bulk_.text.append(reinterpret_cast<const char*>(data.data()), std::min(content, room));
      if (content > room) bulk_.truncated = true;
      bulk_remaining_ -= take;
      wire_ += take;
      data = data.subspan(take);
      if (bulk_remaining_ == 0) {
        state_ = State::kLine;
        RespValue v = std::move(bulk_);
        bulk_ = RespValue{};
        complete(std::move(v), ts);
      }
      continue;
    }
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(data.data(), '\n', data.size()));
    if (!nl) {
      wire_ += data.size();
      if (state_ == State::kLine) {
        line_.append(reinterpret_cast<const char*>(data.data()), data.size());
        if (line_.size() > kMaxLine) {
          line_.clear();
          bad_line();
          state_ = State::kSkipLine;
        }
      }
      return;
    }
    size_t n = size_t(nl - data.data()) + 1;
    wire_ += n;
    if (state_ == State::kSkipLine) {
      state_ = State::kLine;
      wire_ = 0;
      data = data.subspan(n);
      continue;
    }
    std::string_view text(reinterpret_cast<const char*>(data.data()), n - 1);
    if (!line_.empty()) {  // the line began in earlier bytes
      line_.append(text);
      text = line_;
    }
    data = data.subspan(n);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line(text, ts);
    line_.clear();
  }
}

void RespParser::line(std::string_view text, int64_t ts) {
  if (text.empty()) {
    if (!stack_.empty()) bad_line();
    wire_ = 0;  // Redis ignores empty lines between commands
    return;
  }
  char t = text[0];
  std::string_view payload = text.substr(1);
  if (resyncing_) {
    // After a gap, only a line that can start a top-level value ends the resync.
    bool start = client_ ? t == '*' : (is_scalar(t) || is_bulk(t) || is_aggregate(t));
    if (!start) {
      wire_ = 0;
      return;
    }
    resyncing_ = false;
  }
  if (is_scalar(t)) {
    RespValue v;
    v.type = t;
    v.null = t == '_';
    v.text.assign(payload.substr(0, max_text_));
    v.truncated = payload.size() > max_text_;
    return complete(std::move(v), ts);
  }
  int64_t n;
  if (is_bulk(t) || is_aggregate(t)) {
    if (!parse_int(payload, n) || n < -1 || n > kMaxBulk) return bad_line();
    if (n == -1) {
      RespValue v;
      v.type = t;
      v.null = true;
      return complete(std::move(v), ts);
    }
    if (is_bulk(t)) {
      bulk_ = RespValue{};
      bulk_.type = t;
      bulk_.length = uint64_t(n);
      bulk_.text.reserve(size_t(std::min<uint64_t>(uint64_t(n), max_text_)));
      bulk_remaining_ = uint64_t(n) + 2;
      state_ = State::kBulk;
      return;
    }
    Open open;
    open.value.type = t;
    open.value.length = uint64_t(n);
    open.expected = uint64_t(n) * ((t == '%' || t == '|') ? 2 : 1);
    open.value.items.reserve(size_t(std::min<uint64_t>(open.expected, 16)));
    if (open.expected == 0) return complete(std::move(open.value), ts);
    if (stack_.size() >= kMaxDepth) return bad_line();
    stack_.push_back(std::move(open));
    return;
  }
  if (client_ && stack_.empty()) {
    // An inline command: words separated by spaces.
    RespValue v;
    v.type = 'i';
    size_t pos = 0;
    while (pos < text.size()) {
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
      size_t end = pos;
      while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
      if (end > pos && v.items.size() < kMaxItems) {
        RespValue word;
        word.type = '$';
        word.text.assign(text.substr(pos, std::min(end - pos, max_text_)));
        v.items.push_back(std::move(word));
      }
      pos = end;
    }
    v.length = v.items.size();
    if (v.items.empty()) {
      wire_ = 0;
      return;
    }
    return complete(std::move(v), ts);
  }
  bad_line();
}

void RespParser::complete(RespValue&& v, int64_t ts) {
  for (;;) {
    if (v.type == '|') {  // attributes describe the value that follows, at any depth
      if (attributes_.size() < kMaxItems) attributes_.push_back(std::move(v));
      return;
    }
    if (!attributes_.empty()) {
      v.attributes = std::move(attributes_);
      attributes_.clear();
    }
    if (stack_.empty()) {
      v.wire_bytes = wire_;
      v.first_us = first_us_;
      v.last_us = ts;
      wire_ = 0;
      on_value_(std::move(v));
      return;
    }
    Open& top = stack_.back();
    if (top.value.items.size() <
        kMaxItems * ((top.value.type == '%' || top.value.type == '|') ? 2 : 1))
      top.value.items.push_back(std::move(v));
    else
      top.value.truncated = true;
    if (--top.expected > 0) return;
    v = std::move(top.value);
    stack_.pop_back();
  }
}

void RespParser::bad_line() {
  ++malformed_;
  stack_.clear();
  attributes_.clear();
  wire_ = 0;
  state_ = State::kLine;
}

bool RespParser::gap() {
  bool in_value = !stack_.empty() || state_ == State::kBulk || !line_.empty();
  stack_.clear();
  attributes_.clear();
  line_.clear();
  bulk_ = RespValue{};
  wire_ = 0;
  state_ = State::kSkipLine;
  resyncing_ = true;
  return !in_value;
}

}  // namespace trawl
