#include "protocols/http1/http1_parser.h"

#include <array>
#include <charconv>
#include <cstring>

#include "base/text.h"
#include "entries/json.h"
#include "entries/json_simd.h"

namespace trawl {

namespace {

constexpr size_t kResyncPeek = 16;  // bytes needed to judge a candidate message start
constexpr size_t kMaxLine = 4096;   // chunk-size and trailer lines
constexpr size_t kMaxTrailers = 64;

constexpr std::array<std::string_view, 34> kMethods{
    "GET",      "POST",    "PUT",       "DELETE",      "HEAD",       "OPTIONS",        "PATCH",
    "TRACE",    "CONNECT", "PROPFIND",  "PROPPATCH",   "MKCOL",      "COPY",           "MOVE",
    "LOCK",     "UNLOCK",  "SEARCH",    "REPORT",      "MKACTIVITY", "CHECKOUT",       "MERGE",
    "M-SEARCH", "NOTIFY",  "SUBSCRIBE", "UNSUBSCRIBE", "PURGE",      "LINK",           "UNLINK",
    "BIND",     "REBIND",  "UNBIND",    "ACL",         "MKCALENDAR", "VERSION-CONTROL"};

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

// Index just past the blank line ending a message head, or npos. The end is
// the first LF followed by LF or CRLF; sixteen places are tried a step.
size_t find_head_end(std::string_view text, size_t from) {
  const char* s = text.data();
  size_t i = from;
#ifdef __SSE2__
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (; i + 18 <= text.size(); i += 16) {
    auto at = [&](size_t k) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + k));
    };
    __m128i here_lf = _mm_cmpeq_epi8(at(0), lf);
    __m128i next = at(1);
    __m128i then_lf =
        _mm_or_si128(_mm_cmpeq_epi8(next, lf),
                     _mm_and_si128(_mm_cmpeq_epi8(next, cr), _mm_cmpeq_epi8(at(2), lf)));
    unsigned ends = unsigned(_mm_movemask_epi8(_mm_and_si128(here_lf, then_lf)));
    if (ends) {
      size_t nl = i + size_t(__builtin_ctz(ends));
      return nl + (s[nl + 1] == '\n' ? 2 : 3);
    }
  }
#endif
  for (; i < text.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i + 1 < text.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < text.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

// A strong signal of a message start, used after a gap or garbage.
bool resync_candidate(std::string_view t) {
  if (t.size() >= 13 && t.substr(0, 7) == "HTTP/1." && t[8] == ' ' && t[9] >= '1' && t[9] <= '5' &&
      t[10] >= '0' && t[10] <= '9' && t[11] >= '0' && t[11] <= '9')
    return true;
  for (std::string_view m : kMethods) {
    if (t.size() > m.size() + 1 && t.substr(0, m.size()) == m && t[m.size()] == ' ') {
      char c = t[m.size() + 1];
      return c == '/' || c == '*' || c == 'h';
    }
  }
  return false;
}

}  // namespace

std::string_view Http1Message::header(std::string_view lower_name) const {
  for (const Http1Field& f : headers)
    if (name(f) == lower_name) return value(f);
  return {};
}

namespace {

constexpr std::array<std::string_view, kHttp1HeaderCount> kKnownHeaderNames{
    "host", "upgrade", "content-type", "content-length", "content-encoding", "transfer-encoding"};

constexpr size_t known_length(Http1Header h) {
  return kKnownHeaderNames[size_t(h)].size();
}
static_assert(known_length(Http1Header::kHost) == 4 && known_length(Http1Header::kUpgrade) == 7 &&
              known_length(Http1Header::kContentType) == 12 &&
              known_length(Http1Header::kContentLength) == 14 &&
              known_length(Http1Header::kContentEncoding) == 16 &&
              known_length(Http1Header::kTransferEncoding) == 17);

// The known header a lower-cased name is, or kHttp1HeaderCount: its length
// picks the one candidate, compared with a memcmp of constant size (inlined).
[[gnu::always_inline]] inline size_t known_header(std::string_view name) {
  auto match = [&name](Http1Header h) {
    std::string_view known = kKnownHeaderNames[size_t(h)];
    return std::memcmp(name.data(), known.data(), known.size()) == 0 ? size_t(h)
                                                                     : kHttp1HeaderCount;
  };
  switch (name.size()) {
    case 4:
      return match(Http1Header::kHost);
    case 7:
      return match(Http1Header::kUpgrade);
    case 12:
      return match(Http1Header::kContentType);
    case 14:
      return match(Http1Header::kContentLength);
    case 16:
      return match(Http1Header::kContentEncoding);
    case 17:
      return match(Http1Header::kTransferEncoding);
    default:
      return kHttp1HeaderCount;
  }
}

}  // namespace

std::string_view Http1Message::header(Http1Header h) const {
  if (merged_) return header(kKnownHeaderNames[size_t(h)]);
  uint32_t at = known_[size_t(h)];
  return at ? value(headers[at - 1]) : std::string_view();
}

void Http1Message::add_field(std::vector<Http1Field>& list, std::string_view name,
                             std::string_view value) {
  Http1Field f;
  f.name_at = uint32_t(fields_text.size());
  f.name_size = uint32_t(name.size());
  fields_text += name;
  f.value_at = uint32_t(fields_text.size());
  f.value_size = uint32_t(value.size());
  fields_text += value;
  add_field_in_text(list, f);
}

// Adds a header field whose name (lowered) is at `lower_name`: notes where a
// known header is and the name's bit (see header_name_bits_).
[[gnu::always_inline]] inline void Http1Message::add_header(Http1Field f, const char* lower_name) {
  std::string_view n(lower_name, f.name_size);
  size_t k = known_header(n);
  if (k < kHttp1HeaderCount && !known_[k]) known_[k] = uint32_t(headers.size() + 1);
  unsigned mix = n.empty() ? 0 : unsigned(n.size() * 7 + uint8_t(n[0]) + uint8_t(n.back()) * 13);
  uint64_t bit = uint64_t(1) << (mix & 63);
  headers_may_repeat_ = headers_may_repeat_ || (header_name_bits_ & bit);
  header_name_bits_ |= bit;
  headers.push_back(f);
}

void Http1Message::add_field_in_text(std::vector<Http1Field>& list, Http1Field f) {
  lower_ascii_in_place(fields_text.data() + f.name_at, f.name_size);
  if (&list == &headers)
    add_header(f, fields_text.data() + f.name_at);
  else
    list.push_back(f);
}

void Http1Message::begin_head(std::string_view head) {
  // Room after the copy for the JSON object: a field is written in two bytes
  // more than its line ("Name: v" CR LF), so twice the head is room enough
  // unless lines are very short (the object then stops early); and sixteen
  // past for the copies.
  size_t room = 2 * head.size() + 64;
  fields_text.clear();
  fields_text.resize(room);
  std::memcpy(fields_text.data(), head.data(), head.size());  // `head` is not in it
  head_json_ = {uint32_t(head.size()), 1};
  fields_text[head.size()] = '{';
  head_json_open_ = true;
  head_json_ready_ = false;
}

namespace {

// The first `c` in [p, limit), or nullptr, reading whole blocks of sixteen:
// there must be room for fifteen bytes past `limit`.
inline const char* find_in_blocks(const char* p, const char* limit, char c) {
#ifdef __SSE2__
  const __m128i wanted = _mm_set1_epi8(c);
  for (; p < limit; p += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned hits = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(block, wanted)));
    if (hits) return p + __builtin_ctz(hits) < limit ? p + __builtin_ctz(hits) : nullptr;
  }
  return nullptr;
#else
  return find_byte(p, limit, c);
#endif
}

inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// A header value that needs escaping, written at `w` (after its opening
// quote) with its closing quote; false when there is no room.
bool write_escaped_value(char*& w, const char* room_end, std::string_view value) {
  if (size_t(room_end - w) >= 2 * value.size() + 1) {
    if (char* end = json_detail::copy_escaping_quotes(w, value.data(), value.size())) {
      *end++ = '"';
      w = end;
      return true;
    }
  }
  thread_local std::string escaped;
  escaped.clear();
  write_json_string(escaped, value);
  if (size_t(room_end - w) < escaped.size()) return false;
  std::memcpy(w - 1, escaped.data(), escaped.size());
  w += escaped.size() - 1;
  return true;
}

}  // namespace

size_t Http1Message::add_plain_fields(size_t at, bool& ended) {
  char* const base = fields_text.data();
  const char* const head_end =
      base + head_json_.at;  // the copy of the head ends where the object starts
  const char* const room_end = base + fields_text.size() - 16;
  char* q = base + head_json_.at + head_json_.size;
  const char* p = base + at;
  while (p < head_end) {
    const char* nl = find_in_blocks(p, head_end, '\n');
    const char* eol = nl ? nl : head_end;
    const char* line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    if (line_end == p && nl) {  // the empty line: every field is written
      p = nl + 1;
      ended = true;
      break;
    }
    const char* colon = find_in_blocks(p, line_end, ':');
    if (!colon || is_blank(*p) || (colon > p && (is_blank(colon[-1]) || colon[-1] == '\r'))) break;
    const char* from = colon + 1;
    const char* to = line_end;
    while (from < to && is_blank(*from)) ++from;
    while (to > from && (is_blank(to[-1]) || to[-1] == '\r')) --to;
    Http1Field f{0, uint32_t(colon - p), 0, uint32_t(to - from)};
    if (size_t(room_end - q) < f.name_size + f.value_size + 6) break;
    char* w = q;
    if (w[-1] != '{') *w++ = ',';
    *w++ = '"';
    if (!json_detail::copy_lower_if_plain(w, p, f.name_size)) break;
    f.name_at = uint32_t(w - base);
    w += f.name_size;
    std::memcpy(w, "\":\"", 3);
    w += 3;
    if (json_detail::copy_if_plain(w, from, f.value_size)) {
      f.value_at = uint32_t(w - base);
      w += f.value_size;
      *w++ = '"';
    } else {  // quotes in an ETag, say: the value's place stays in the head's copy
      if (!write_escaped_value(w, room_end, std::string_view(from, f.value_size))) break;
      f.value_at = uint32_t(from - base);
    }
    q = w;
    add_header(f, base + f.name_at);
    p = nl ? nl + 1 : head_end;
  }
  head_json_.size = uint32_t(q - (base + head_json_.at));
  return size_t(p - base);
}

// The rest of the head's fields stay in its copy; what was written is kept
// (fields added before point into it).
void Http1Message::stop_head_json() {
  if (!head_json_open_) return;
  head_json_open_ = false;
  fields_text.resize(head_json_.at + head_json_.size);
}

void Http1Message::end_head() {
  if (!head_json_open_) return;
  head_json_open_ = false;
  head_json_ready_ = true;
  fields_text[head_json_.at + head_json_.size++] = '}';
  fields_text.resize(head_json_.at + head_json_.size);
}

void Http1Message::clear_head() {
  is_request = false;
  status = 0;
  method_place = target_place = version_place = reason_place = {};
  fields_text.clear();
  headers.clear();
  known_ = {};
  header_name_bits_ = 0;
  headers_may_repeat_ = false;
  merged_ = false;
  head_json_ = {};
  head_json_open_ = head_json_ready_ = false;
}

void Http1Message::extend_last_value(Http1Field& last, std::string_view more) {
  stop_head_json();
  size_t start = fields_text.size();
  fields_text.append(fields_text, last.value_at, last.value_size);  // copes with its own text
  fields_text += ' ';
  fields_text += more;
  last.value_at = uint32_t(start);
  last.value_size = uint32_t(fields_text.size() - start);
}

namespace {

// A message's fields as merge_repeated_names() sees them. Joined values are
// gathered apart and written at the end of the text once all are known, so
// that thousands of repeats stay linear.
struct MessageFields {
  std::string& text;
  std::vector<Http1Field>& list;
  std::vector<std::string> joined;  // by merged place; sized at the first repeat
  size_t size() const { return list.size(); }
  std::string_view lower_name(size_t i) const { return name(i); }  // lowered when added
  std::string_view name(size_t i) const {
    return std::string_view(text).substr(list[i].name_at, list[i].name_size);
  }
  std::string_view value(size_t i) const {
    return std::string_view(text).substr(list[i].value_at, list[i].value_size);
  }
  void join(size_t at, size_t i) {
    if (joined.empty()) joined.resize(list.size());
    std::string& j = joined[at];
    if (j.empty()) j = value(at);
    j += ", ";
    j += value(i);
  }
  void move(size_t to, size_t from) { list[to] = list[from]; }
  void resize(size_t n) {
    list.resize(n);
    for (size_t at = 0; at < joined.size() && at < n; ++at) {
      if (joined[at].empty()) continue;
      list[at].value_at = uint32_t(text.size());
      list[at].value_size = uint32_t(joined[at].size());
      text += joined[at];
    }
  }
};

}  // namespace

void Http1Message::merge_fields(std::vector<Http1Field>& list) {
  if (&list == &headers && !headers_may_repeat_) return;  // known_ stays true
  merged_ = merged_ || &list == &headers;
  head_json_ready_ = head_json_ready_ && &list != &headers;
  MessageFields fields{fields_text, list, {}};
  merge_repeated_names(fields);
}

void Http1Message::write_fields_json(std::string& out, const std::vector<Http1Field>& merged) {
  // Plain fields, the usual ones, are copied between quotes into a buffer on
  // the stack sixteen bytes a step, checked as they are copied; a field that
  // needs escaping is written again by write_json_string.
  if (&merged == &headers && head_json_ready_) {
    out += text(head_json_);
    return;
  }
  constexpr size_t kSlack = 16;  // read and written past a name or a value
  fields_text.reserve(fields_text.size() + kSlack);
  char buf[1024 + kSlack];
  char* const end = buf + 1024;
  char* q = buf;
  auto flush = [&] {
    out.append(buf, size_t(q - buf));
    q = buf;
  };
  *q++ = '{';
  for (size_t i = 0; i < merged.size(); ++i) {
    std::string_view n = name(merged[i]), v = value(merged[i]);
    size_t need = n.size() + v.size() + 6;  // ,"name":"value"
    if (size_t(end - q) < need + kSlack) flush();
    if (need + kSlack <= size_t(end - q)) {
      char* at = q;
      if (i > 0) *q++ = ',';
      *q++ = '"';
      if (json_detail::copy_if_plain(q, n.data(), n.size())) {
        q += n.size();
        std::memcpy(q, "\":\"", 3);
        q += 3;
        if (json_detail::copy_if_plain(q, v.data(), v.size())) {
          q += v.size();
          *q++ = '"';
          continue;
        }
      }
      q = at;
    }
    flush();
    if (i > 0) out += ',';
    write_json_string(out, n);
    out += ':';
    write_json_string(out, v);
  }
  if (q == end) flush();
  *q++ = '}';
  flush();
}

namespace {

// Finished messages kept for the next ones: a few per thread, and only
// small ones (a busy thread's usual heads and bodies).
struct MessagePool {
  static constexpr size_t kCount = 32, kBytes = 4096;
  std::array<Http1Message*, kCount> kept{};
  size_t used = 0;
  ~MessagePool() {
    for (size_t i = 0; i < used; ++i) delete kept[i];
  }
};
thread_local MessagePool message_pool;

}  // namespace

void Http1Message::reset(MemoryBudget* memory) {
  clear_head();
  trailers.clear();
  body.clear();
  body_bytes = 0;
  body_capped = false;
  wire_bytes = 0;
  first_us = last_us = 0;
  gap = truncated = false;
  held = BudgetShare(memory);
  body_decoded = false;
  body_state = {};
}
// reset() must clear every member: one added changes the size, and this line.
static_assert(sizeof(Http1Message) == 296, "a member was added: clear it in reset()");

Http1MessagePtr take_http1_message(MemoryBudget* memory) {
  MessagePool& pool = message_pool;
  if (pool.used == 0) return std::make_unique<Http1Message>(memory);
  return Http1MessagePtr(pool.kept[--pool.used]);  // reset when its message starts
}

void give_back_http1_message(Http1MessagePtr m) {
  MessagePool& pool = message_pool;
  constexpr size_t kBytes = MessagePool::kBytes;
  if (!m || pool.used == MessagePool::kCount || m->fields_text.capacity() > kBytes ||
      m->body.capacity() > kBytes || m->headers.capacity() * sizeof(Http1Field) > kBytes ||
      m->trailers.capacity() * sizeof(Http1Field) > kBytes)
    return;
  m->held.release();
  pool.kept[pool.used++] = m.release();
}

HeaderList Http1Message::header_list() const {
  HeaderList list;
  for (const Http1Field& f : headers) list.emplace_back(name(f), value(f));
  return list;
}

bool Http1Parser::looks_like_start_line(std::string_view t) {
  if (t.size() >= 5 && t.substr(0, 5) == "HTTP/") return true;
  if (t.size() < 5 && std::string_view("HTTP/").substr(0, t.size()) == t) return true;
  size_t i = 0;
  while (i < t.size() && i < 24 && is_token_char(t[i])) ++i;
  if (i == t.size()) return i < 24;  // still reading the method
  return i >= 3 && t[i] == ' ';
}

void Http1Parser::feed(Bytes data, int64_t ts) {
  while (!data.empty()) {
    size_t used = 0;
    switch (state_) {
      case State::kStopped:
        handler_.on_after_stop(data, ts);
        return;
      case State::kStart: {
        size_t i = 0;
        while (i < data.size() && (data[i] == '\r' || data[i] == '\n')) ++i;
        if (i) {
          data = data.subspan(i);
          continue;
        }
        msg_->reset(buffer_share_.budget());
        msg_->first_us = ts;
        buffer_.clear();
        state_ = State::kHead;
        continue;
      }
      case State::kHead:
        used = consume_head(data, ts);
        break;
      case State::kBodyLength:
      case State::kChunkData:
        used = consume_body(data, ts);
        break;
      case State::kChunkSize:
      case State::kChunkEnd:
      case State::kTrailers:
        used = consume_chunk_line(data, ts);
        break;
      case State::kCloseDelimited:
        append_body(data);
        msg_->wire_bytes += data.size();
        msg_->last_us = ts;
        used = data.size();
        break;
      case State::kResync: {
        used = resync(data);
        if (state_ == State::kStart && !buffer_.empty()) {
          // The candidate began in bytes carried over from the previous call.
          std::string carried = std::move(buffer_);
          buffer_.clear();
          feed(Bytes(reinterpret_cast<const uint8_t*>(carried.data()), carried.size()), ts);
        }
        break;
      }
    }
    data = data.subspan(used);
  }
}

size_t Http1Parser::consume_body(Bytes data, int64_t ts) {
  size_t n = size_t(std::min<uint64_t>(remaining_, data.size()));
  append_body(data.first(n));
  remaining_ -= n;
  msg_->wire_bytes += n;
  msg_->last_us = ts;
  if (remaining_ == 0) {
    if (state_ == State::kBodyLength) {
      finish(ts);
    } else {
      buffer_.clear();
      state_ = State::kChunkEnd;
    }
  }
  return n;
}

// A chunk-size line, the line ending a chunk's data, or a trailer field.
size_t Http1Parser::consume_chunk_line(Bytes data, int64_t ts) {
  bool complete = false;
  size_t used = consume_line(data, buffer_, complete);
  msg_->wire_bytes += used;
  msg_->last_us = ts;
  if (!complete) {
    if (buffer_.size() > kMaxLine) lost_sync();
    return used;
  }
  std::string_view line = trim(buffer_);
  if (state_ == State::kChunkEnd) {
    state_ = State::kChunkSize;
  } else if (state_ == State::kChunkSize) {
    line = line.substr(0, line.find(';'));
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (ec != std::errc() || p != line.data() + line.size() || line.empty()) {
      msg_->gap = true;  // unreadable chunk size: deliver what we have
      finish(ts);
      lost_sync();
    } else if (size == 0) {
      state_ = State::kTrailers;
    } else {
      remaining_ = size;
      state_ = State::kChunkData;
    }
  } else if (line.empty()) {
    finish(ts);
  } else if (msg_->trailers.size() < kMaxTrailers) {
    size_t colon = line.find(':');
    if (colon != std::string_view::npos)
      msg_->add_field(msg_->trailers, trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  buffer_.clear();
  return used;
}

size_t Http1Parser::consume_line(Bytes data, std::string& line, bool& complete) {
  std::string_view text = as_text(data);
  size_t nl = text.find('\n');
  complete = nl != std::string_view::npos;
  size_t used = complete ? nl + 1 : text.size();
  line.append(text.substr(0, complete ? nl : used));
  return used;
}

size_t Http1Parser::consume_head(Bytes data, int64_t ts) {
  std::string_view text = as_text(data);
  msg_->last_us = ts;
  if (buffer_.empty()) {
    if (!looks_like_start_line(text.substr(0, 32))) {
      lost_sync();
      return 0;
    }
    // A head in a small segment is parsed at once, its end found on the way;
    // in a larger one, or one that holds no whole head, its end is found first.
    constexpr size_t kAtOnce = 1536, kNone = std::string_view::npos;
    size_t end = text.size() <= kAtOnce ? parse_head(text) : kNone;
    if (end == kNone) {
      msg_->clear_head();
      end = find_head_end(text, 0);
      if (end != kNone && parse_head(text.substr(0, end)) == kNone) {
        msg_->wire_bytes += end;
        lost_sync();
        return end;
      }
    }
    if (end != kNone) {
      msg_->wire_bytes += end;
      if (!msg_->held.take(msg_->fields_text.size())) {  // the parsed head is kept with the message
        handler_.on_memory_refused();
        lost_sync();
        return end;
      }
      begin_body();
      return end;
    }
  }
  size_t old = buffer_.size();
  size_t take = std::min(text.size(), max_head_ + 4 - std::min(old, max_head_));
  if (!buffer_share_.resize(old + take)) {
    handler_.on_memory_refused();
    lost_sync();
    return take;
  }
  buffer_.append(text.substr(0, take));
  if (!looks_like_start_line(std::string_view(buffer_).substr(0, 32))) {
    lost_sync();
    return take;
  }
  size_t end = find_head_end(buffer_, old >= 3 ? old - 3 : 0);
  if (end == std::string_view::npos) {
    if (buffer_.size() > max_head_) lost_sync();
    return take;
  }
  size_t used = end - old;
  msg_->wire_bytes += end;
  bool ok = parse_head(std::string_view(buffer_).substr(0, end)) != std::string_view::npos;
  drop_head_buffer();
  if (!ok) {
    lost_sync();
    return used;
  }
  if (!msg_->held.take(msg_->fields_text.size())) {
    handler_.on_memory_refused();
    lost_sync();
    return used;
  }
  begin_body();
  return used;
}

// A head kept across segments can be large: its memory goes back at once.
void Http1Parser::drop_head_buffer() {
  constexpr size_t kRetain = 4096;
  if (buffer_.capacity() > kRetain)
    std::string().swap(buffer_);
  else
    buffer_.clear();
  buffer_share_.resize(0);
}

// Parses the head at the start of `text` (copied, and its JSON object after
// the copy): returns the index just past its blank line, or npos when `text`
// holds no whole head or its start line is not one. The fields stay where they
// are in the copy (one copy, not two per field).
size_t Http1Parser::parse_head(std::string_view text) {
  constexpr size_t kNone = std::string_view::npos;
  const std::string_view whole = text;
  std::string_view head = text;
  msg_->clear_head();
  msg_->begin_head(whole);
  auto next_line = [&head]() {
    const char* nl = find_byte(head.data(), head.data() + head.size(), '\n');
    size_t length = nl ? size_t(nl - head.data()) : head.size();
    std::string_view line = head.substr(0, length);
    head = head.substr(nl ? length + 1 : length);  // stays in `text`
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  std::string_view start = next_line();
  if (start.substr(0, 5) == "HTTP/") {
    // HTTP/1.1 200 OK
    if (start.size() < 12 || start[8] != ' ') return kNone;
    msg_->is_request = false;
    msg_->version_place = Http1Message::place(whole, start.substr(5, 3));
    int status = three_digits(start.data() + 9);
    if (status < 0) return kNone;
    msg_->status = status;
    msg_->reason_place =
        Http1Message::place(whole, trim(start.substr(std::min<size_t>(13, start.size()))));
  } else {
    // METHOD SP request-target SP HTTP/x.y
    size_t sp1 = start.find(' ');
    size_t sp2 = start.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return kNone;
    std::string_view version = start.substr(sp2 + 1);
    if (version.substr(0, 5) != "HTTP/") return kNone;
    msg_->is_request = true;
    msg_->method_place = Http1Message::place(whole, start.substr(0, sp1));
    msg_->target_place = Http1Message::place(whole, trim(start.substr(sp1 + 1, sp2 - sp1 - 1)));
    msg_->version_place = Http1Message::place(whole, version.substr(5));
  }
  msg_->headers.reserve(head.size() / 32 + 4);  // about a field per 32 bytes: one allocation
  size_t end = parse_fields(head, whole.data());
  msg_->end_head();
  return end;
}

namespace {

// Without blanks at either end (and a carriage return at the end), as trim().
inline std::pair<const char*, const char*> trimmed(const char* from, const char* to) {
  while (from < to && (*from == ' ' || *from == '\t')) ++from;
  while (to > from && (to[-1] == ' ' || to[-1] == '\t' || to[-1] == '\r')) --to;
  return {from, to};
}

}  // namespace

// The field lines after the start line, up to the empty line; places are
// counted from `base`, where the copy of the head starts.
size_t Http1Parser::parse_fields(std::string_view lines, const char* base) {
  const char* const end = lines.data() + lines.size();
  bool ended = false;
  const char* p = base + msg_->add_plain_fields(size_t(lines.data() - base), ended);
  if (ended) return size_t(p - base);
  msg_->stop_head_json();  // the rest, unusual lines, are parsed with care
  while (p < end) {
    const char* nl = find_byte(p, end, '\n');
    const char* eol = nl ? nl : end;
    const char* line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    const char* line = p;
    p = nl ? nl + 1 : end;
    if (line_end == line) return nl ? size_t(p - base) : std::string_view::npos;
    if ((*line == ' ' || *line == '\t') && !msg_->headers.empty()) {  // obsolete folding
      auto [from, to] = trimmed(line, line_end);
      msg_->extend_last_value(msg_->headers.back(), std::string_view(from, size_t(to - from)));
      continue;
    }
    const char* colon = find_byte(line, line_end, ':');
    if (!colon) continue;
    auto [name_from, name_to] = trimmed(line, colon);
    auto [value_from, value_to] = trimmed(colon + 1, line_end);
    Http1Field f;
    f.name_at = uint32_t(name_from - base);
    f.name_size = uint32_t(name_to - name_from);
    f.value_at = uint32_t(value_from - base);
    f.value_size = uint32_t(value_to - value_from);
    msg_->add_field_in_text(msg_->headers, f);
  }
  return std::string_view::npos;
}

void Http1Parser::begin_body() {
  if (!handler_.message_may_have_body(*msg_)) {
    finish(msg_->last_us);
    return;
  }
  std::string_view te = msg_->header(Http1Header::kTransferEncoding);
  if (!te.empty()) {
    // Transfer-Encoding wins over Content-Length (RFC 9112 6.3); chunked must be last.
    std::string_view last =
        trim(te.substr(te.rfind(',') == std::string_view::npos ? 0 : te.rfind(',') + 1));
    if (iequals(last, "chunked")) {
      buffer_.clear();
      state_ = State::kChunkSize;
    } else if (!msg_->is_request) {
      state_ = State::kCloseDelimited;
    } else {
      finish(msg_->last_us);
    }
    return;
  }
  std::string_view cl = msg_->header(Http1Header::kContentLength);
  if (!cl.empty()) {
    cl = trim(cl.substr(0, cl.find(',')));
    uint64_t n = 0;
    if (parse_decimal(cl, n)) {
      if (n == 0) {
        finish(msg_->last_us);
      } else {
        remaining_ = n;
        state_ = State::kBodyLength;
      }
      return;
    }
  }
  if (msg_->is_request) {
    finish(msg_->last_us);
  } else {
    state_ = State::kCloseDelimited;
  }
}

void Http1Parser::append_body(Bytes data) {
  msg_->body_bytes += data.size();
  size_t room = body_keep_ > msg_->body.size() ? body_keep_ - msg_->body.size() : 0;
  size_t keep = std::min(room, data.size());
  if (keep && !msg_->held.take(keep)) {
    // The budget is spent: this body is kept as far as it got.
    handler_.on_memory_refused();
    body_keep_ = msg_->body.size();
    keep = 0;
  }
  if (data.size() > keep) msg_->body_capped = true;
  msg_->body.append(as_text(data.first(keep)));
}

void Http1Parser::finish(int64_t ts) {
  msg_->last_us = ts;
  state_ = State::kStart;  // before the handler, which may stop() this parser
  // The next message's storage is taken first: the handler may end this parser.
  Http1MessagePtr done = std::exchange(msg_, take_http1_message(buffer_share_.budget()));
  handler_.on_message(std::move(done));
}

void Http1Parser::lost_sync() {
  state_ = State::kResync;
  drop_head_buffer();
  at_line_start_ = false;
  handler_.on_resync();
}

size_t Http1Parser::resync(Bytes data) {
  std::string_view text = as_text(data);
  if (!buffer_.empty()) {
    // A candidate start was cut at the end of the previous data: complete it.
    size_t need = kResyncPeek - buffer_.size();
    size_t take = std::min(need, text.size());
    buffer_.append(text.substr(0, take));
    if (buffer_.size() < kResyncPeek) return take;
    if (resync_candidate(buffer_)) {
      buffer_.resize(buffer_.size() - take);  // feed() replays the carried part
      state_ = State::kStart;
      return 0;
    }
    buffer_.clear();
    at_line_start_ = false;
  }
  size_t pos = 0;
  if (!at_line_start_) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return text.size();
    pos = nl + 1;
  }
  while (true) {
    std::string_view rest = text.substr(pos);
    if (rest.empty()) {
      at_line_start_ = true;
      return text.size();
    }
    if (rest.size() < kResyncPeek) {
      buffer_.assign(rest);
      at_line_start_ = false;
      return text.size();
    }
    if (resync_candidate(rest)) {
      state_ = State::kStart;
      at_line_start_ = false;
      return pos;
    }
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      at_line_start_ = false;
      return text.size();
    }
    pos += nl + 1;
  }
}

bool Http1Parser::gap(uint64_t length, int64_t ts) {
  switch (state_) {
    case State::kStopped:
      return true;
    case State::kBodyLength:
    case State::kChunkData:
      msg_->gap = true;
      msg_->body_bytes += std::min(length, remaining_);
      msg_->body_capped = true;  // the kept body has a hole
      if (length < remaining_) {
        remaining_ -= length;
        return true;
      }
      if (length == remaining_ && state_ == State::kBodyLength) {
        finish(ts);
        return true;
      }
      finish(ts);
      break;
    case State::kCloseDelimited:
      msg_->gap = true;
      msg_->body_bytes += length;
      msg_->body_capped = true;
      return true;
    case State::kChunkSize:
    case State::kChunkEnd:
    case State::kTrailers:
      msg_->gap = true;
      finish(ts);
      break;
    case State::kHead:
      if (salvage_head()) {
        msg_->gap = true;
        handler_.message_may_have_body(*msg_);
        finish(ts);
      }
      break;
    case State::kStart:
    case State::kResync:
      break;
  }
  lost_sync();
  at_line_start_ = true;  // segments after a loss often start a message
  return false;
}

// A head cut by a gap: keeps its start line (as much of the request-target as
// arrived) so the message is reported, marked, instead of vanishing.
bool Http1Parser::salvage_head() {
  std::string_view head = buffer_;
  std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  msg_->fields_text.assign(line);  // the start line's parts are places in it
  if (line.substr(0, 7) == "HTTP/1." && line.size() >= 12) {
    int status = three_digits(line.data() + 9);
    if (status < 0) return false;
    msg_->is_request = false;
    msg_->version_place = Http1Message::place(line, line.substr(5, 3));
    msg_->status = status;
    return true;
  }
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp < 3 || !looks_like_start_line(line)) return false;
  std::string_view rest = line.substr(sp + 1);
  size_t end = rest.find(' ');
  msg_->is_request = true;
  msg_->method_place = Http1Message::place(line, line.substr(0, sp));
  msg_->target_place = Http1Message::place(line, rest.substr(0, end));
  if (end != std::string_view::npos && rest.substr(end + 1, 5) == "HTTP/")
    msg_->version_place = Http1Message::place(line, rest.substr(end + 6, 3));
  return true;
}

void Http1Parser::close(int64_t ts) {
  switch (state_) {
    case State::kCloseDelimited:
      finish(ts);
      break;
    case State::kBodyLength:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkEnd:
    case State::kTrailers:
      msg_->truncated = true;
      finish(ts);
      break;
    default:
      break;
  }
  state_ = State::kStopped;
}

}  // namespace trawl
