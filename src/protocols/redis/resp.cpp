#include "protocols/redis/resp.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace trawl {

namespace {

constexpr size_t kMaxLine = 64 * 1024;   // a longer line is not RESP
constexpr size_t kMaxItems = 1024;       // elements kept per aggregate (all are counted)
constexpr size_t kMaxNodes = 64 * 1024;  // values kept per message
constexpr size_t kMaxDepth = 64;         // nested aggregates
constexpr int64_t kMaxBulk = int64_t(1) << 40;
// A message's buffers are kept for the next one unless a large message grew them.
constexpr size_t kKeepText = 1 << 20, kKeepNodes = 4096;

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
bool is_paired(char t) {
  return t == '%' || t == '|';
}

}  // namespace

void RespParser::feed(Bytes data, int64_t ts) {
  feed_lines(data, ts);
  if (direct_nodes_ > 0) copy_direct();
}

void RespParser::copy_direct() {
  for (RespNode& n : message_.nodes) {
    if (!n.direct) continue;
    n.text_offset = message_.text.size();
    message_.text.append(n.direct, n.text_size);
    n.direct = nullptr;
  }
  direct_nodes_ = 0;
}

void RespParser::feed_lines(Bytes data, int64_t ts) {
  while (!data.empty()) {
    if (wire_ == 0) first_us_ = ts;
    if (state_ == State::kBulk) {
      size_t take = size_t(std::min<uint64_t>(data.size(), bulk_remaining_));
      if (bulk_kept_) {
        uint64_t content_left = bulk_remaining_ > 2 ? bulk_remaining_ - 2 : 0;
        size_t content = size_t(std::min<uint64_t>(take, content_left));
        RespNode& node = message_.nodes.back();
        size_t room = node.text_size < max_text_ ? max_text_ - node.text_size : 0;
        size_t kept = std::min(content, room);
        const char* bytes = reinterpret_cast<const char*>(data.data());
        if (node.text_size == 0 && content == content_left && kept == content && kept > 0) {
          node.direct = bytes;  // the whole payload is here
          ++direct_nodes_;
        } else {
          if (direct_nodes_ > 0) {
            copy_direct();  // they come first, so that this payload stays contiguous
            if (node.text_size == 0) node.text_offset = message_.text.size();
          }
          message_.text.append(bytes, kept);
        }
        node.text_size += kept;
        if (content > room) node.truncated = true;
      }
      bulk_remaining_ -= take;
      wire_ += take;
      data = data.subspan(take);
      if (bulk_remaining_ == 0) {
        state_ = State::kLine;
        end_value(false, ts);
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

bool RespParser::start_value(char type) {
  bool keep;
  if (stack_.empty()) {
    keep = type != '|' || message_.nodes.size() < kMaxNodes;
  } else {
    Open& top = stack_.back();
    keep = top.keep && message_.nodes.size() < kMaxNodes &&
           top.kept < kMaxItems * (is_paired(message_.nodes[top.node].type) ? 2 : 1);
    if (top.keep && !keep) message_.nodes[top.node].truncated = true;
    if (keep) ++top.kept;
  }
  if (keep) {
    RespNode& node = message_.nodes.emplace_back();
    node.type = type;
    node.end = uint32_t(message_.nodes.size());
    node.text_offset = message_.text.size();
  }
  return keep;
}

// A value (kept or not) is complete; completes the aggregates it ends, and the
// message when it is the top-level value. Attributes describe the value after
// them, so they neither count as an aggregate's element nor end a message.
void RespParser::end_value(bool attribute, int64_t ts) {
  for (;;) {
    if (stack_.empty()) {
      if (attribute) return;
      message_.wire_bytes = wire_;
      message_.first_us = first_us_;
      message_.last_us = ts;
      on_message_(message_);
      reset_message();
      return;
    }
    if (attribute) return;
    Open& top = stack_.back();
    if (--top.expected > 0) return;
    attribute = top.attribute;
    if (top.keep) message_.nodes[top.node].end = uint32_t(message_.nodes.size());
    stack_.pop_back();
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
    if (start_value(t)) {
      RespNode& node = message_.nodes.back();
      node.null = t == '_';
      node.text_size = std::min(payload.size(), max_text_);
      node.truncated = payload.size() > max_text_;
      message_.text.append(payload.substr(0, max_text_));
    }
    return end_value(false, ts);
  }
  int64_t n;
  if (is_bulk(t) || is_aggregate(t)) {
    if (!parse_int(payload, n) || n < -1 || n > kMaxBulk) return bad_line();
    bool keep = start_value(t);
    if (n == -1) {
      if (keep) message_.nodes.back().null = true;
      return end_value(t == '|', ts);
    }
    if (keep) message_.nodes.back().length = uint64_t(n);
    if (is_bulk(t)) {
      bulk_kept_ = keep;
      bulk_remaining_ = uint64_t(n) + 2;
      state_ = State::kBulk;
      return;
    }
    uint64_t expected = uint64_t(n) * (is_paired(t) ? 2 : 1);
    if (expected == 0) return end_value(t == '|', ts);
    if (stack_.size() >= kMaxDepth) return bad_line();
    stack_.push_back({uint32_t(message_.nodes.size() - (keep ? 1 : 0)), keep, t == '|', expected});
    return;
  }
  if (client_ && stack_.empty()) return inline_command(text, ts);
  bad_line();
}

// Words separated by spaces, as redis-cli's telnet-style commands.
void RespParser::inline_command(std::string_view text, int64_t ts) {
  start_value('i');
  size_t command = message_.nodes.size() - 1;
  size_t pos = 0, words = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    if (end > pos) {
      if (words < kMaxItems) {
        RespNode& word = message_.nodes.emplace_back();
        word.type = '$';
        word.end = uint32_t(message_.nodes.size());
        word.length = end - pos;
        word.text_offset = message_.text.size();
        word.text_size = std::min(end - pos, max_text_);
        word.truncated = end - pos > max_text_;
        message_.text.append(text.substr(pos, word.text_size));
      } else {
        message_.nodes[command].truncated = true;
      }
      ++words;
    }
    pos = end;
  }
  if (words == 0) return reset_message();
  message_.nodes[command].length = words;
  message_.nodes[command].end = uint32_t(message_.nodes.size());
  end_value(false, ts);
}

void RespParser::reset_message() {
  direct_nodes_ = 0;
  message_.nodes.clear();
  message_.text.clear();
  if (message_.text.capacity() > kKeepText) std::string().swap(message_.text);
  if (message_.nodes.capacity() > kKeepNodes) std::vector<RespNode>().swap(message_.nodes);
  wire_ = 0;
}

void RespParser::bad_line() {
  ++malformed_;
  stack_.clear();
  reset_message();
  state_ = State::kLine;
}

bool RespParser::gap() {
  bool in_value = !stack_.empty() || state_ == State::kBulk || !line_.empty();
  stack_.clear();
  reset_message();
  line_.clear();
  state_ = State::kSkipLine;
  resyncing_ = true;
  return !in_value;
}

}  // namespace trawl
