#include "protocols/http2/http2.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_set>

#include "base/decompress.h"
#include "base/text.h"
#include "dissect/entry_problem.h"
#include "protocols/graphql/graphql.h"
#include "protocols/grpc/grpc.h"
#include "protocols/http1/http_fields.h"
#include "protocols/http2/hpack.h"
#include "protocols/http2/http2_frame.h"

namespace trawl {

namespace {

using namespace h2;

constexpr size_t kMaxBufferedFrame = 1 << 20;   // larger non-DATA frames are skipped
constexpr size_t kMaxHeaderBlock = 1 << 20;     // HEADERS plus CONTINUATIONs
constexpr size_t kCompressedKeep = 1 << 20;     // encoded bodies kept to decode max_body
constexpr size_t kMaxOpenStreams = 1024;        // per connection
constexpr size_t kRecentlyClosed = 1024;        // ids remembered so late frames do not reopen them
constexpr size_t kResyncWindow = 64 * 1024;     // bytes searched for a frame start after a gap
constexpr uint32_t kResyncMaxLength = 1 << 16;  // frame length believed while resynchronising
// A stream the client reset waits this long (capture time) for the answer the
// server may have sent before the reset reached it.
constexpr int64_t kResetGraceUs = 1'000'000;

std::string_view find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (n == name) return v;
  return {};
}

bool has_header(const HeaderList& headers, std::string_view name) {
  for (const auto& h : headers)
    if (h.first == name) return true;
  return false;
}

struct Message {
  HeaderList headers, trailers;
  bool has_headers = false;
  std::string body;       // DATA payload, up to the keep limit
  BudgetShare body_held;  // its memory
  uint64_t body_bytes = 0;
  bool body_capped = false;
  uint64_t wire_bytes = 0;
  int64_t first_us = 0, last_us = 0;
  bool ended = false;  // END_STREAM seen
  size_t unknown_headers = 0;
  bool header_error = false;
  bool gap = false;

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
  void touch(int64_t ts) {
    if (first_us == 0) first_us = ts;
    last_us = ts;
  }
};

struct Stream {
  uint32_t id = 0;
  Direction client = Direction::kAtoB;
  Message side[2];  // request, response
  bool push = false;
  bool upgraded = false;  // stream 1 after an h2c upgrade: the request was HTTP/1.1
  std::string error;
  int64_t reset_us = 0;  // when the client reset it (its answer may still come)

  int role(Direction d) const { return d == client ? 0 : 1; }
};

class Http2Dissector : public StreamDissector {
 public:
  explicit Http2Dissector(const DissectorEnv& env) : env_(env) {}

  Http2Dissector(const DissectorEnv& env, const UpgradeContext& up) : env_(env) {
    client_dir_ = up.client;
    client_known_ = true;
    Stream& s = streams_[1];
    s.id = 1;
    s.client = up.client;
    s.upgraded = true;
    Message& r = s.side[0];
    r.has_headers = true;
    r.ended = true;
    r.headers = {{":method", up.method}, {":path", up.target}};
    r.first_us = r.last_us = up.timestamp_us;
  }

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    if (!resets_.empty()) expire_resets(ts);
    feed(dir, data, ts);
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    Side& side = sides_[int(dir)];
    side.state = State::kResync;
    side.buf.clear();
    side.block_open = false;
    side.started = true;
    side.hpack.lose_state();
    for (auto& [id, s] : streams_) {
      Message& m = s.side[s.role(dir)];
      if (!m.ended) m.gap = true;
    }
    ++env_.counters.resyncs;
  }

  void on_close(int64_t) override {
    while (!streams_.empty()) {
      auto it = streams_.begin();
      Stream s = std::move(it->second);
      streams_.erase(it);
      emit(std::move(s));
    }
  }

 private:
  enum class State { kPreface, kHeader, kPayload, kData, kSkip, kResync };

  struct Side {
    State state = State::kPreface;
    bool started = false;  // the first frame was seen
    size_t preface_matched = 0;
    std::string buf;  // partial frame header, buffered payload, or resync window
    FrameHeader frame;
    uint64_t remaining = 0;    // payload bytes of the current frame still to come
    bool pad_pending = false;  // DATA: the pad-length byte is still to come
    uint8_t pad = 0;           // DATA: padding at the end of the frame
    // The header block being assembled from HEADERS/PUSH_PROMISE + CONTINUATIONs.
    bool block_open = false;
    uint8_t block_type = 0;
    uint32_t block_stream = 0, promised = 0;
    bool block_end_stream = false;
    bool block_overflow = false;
    uint64_t block_wire = 0;
    std::string block;
    HpackDecoder hpack;
  };

  void feed(Direction dir, Bytes data, int64_t ts) {
    Side& s = sides_[int(dir)];
    while (!data.empty()) {
      switch (s.state) {
        case State::kPreface:
          take_preface(dir, s, data);
          break;
        case State::kHeader: {
          size_t n = std::min(data.size(), kFrameHeaderSize - s.buf.size());
          s.buf.append(reinterpret_cast<const char*>(data.data()), n);
          data = data.subspan(n);
          if (s.buf.size() < kFrameHeaderSize) break;
          // Any header is taken: unknown types and flags are ignored (RFC 9113 4.1).
          FrameHeader h = parse_frame_header(reinterpret_cast<const uint8_t*>(s.buf.data()));
          s.buf.clear();
          begin_frame(dir, h, ts);
          break;
        }
        case State::kPayload: {
          size_t n = std::min<uint64_t>(data.size(), s.remaining);
          s.buf.append(reinterpret_cast<const char*>(data.data()), n);
          data = data.subspan(n);
          s.remaining -= n;
          if (s.remaining == 0) {
            std::string payload = std::move(s.buf);
            s.buf.clear();
            s.state = State::kHeader;
            frame(dir, s.frame, as_bytes(payload), ts);
          }
          break;
        }
        case State::kData:
          take_data(dir, s, data, ts);
          break;
        case State::kSkip: {
          size_t n = std::min<uint64_t>(data.size(), s.remaining);
          data = data.subspan(n);
          s.remaining -= n;
          if (s.remaining == 0) s.state = State::kHeader;
          break;
        }
        case State::kResync: {
          s.buf.append(reinterpret_cast<const char*>(data.data()), data.size());
          data = {};
          std::string rest;
          if (!resync(s, rest)) break;
          s.state = State::kHeader;
          feed(dir, as_bytes(rest), ts);
          return;
        }
      }
    }
  }

  // The client's connection preface, as far as `data` goes; anything else (a
  // server, or a capture that begins mid-connection) goes on as frames.
  void take_preface(Direction dir, Side& s, Bytes& data) {
    size_t n = std::min(data.size(), kClientPreface.size() - s.preface_matched);
    if (as_text(data.first(n)) != kClientPreface.substr(s.preface_matched, n)) {
      if (s.preface_matched > 0) return lost_sync(dir);  // began like a preface, then was not
      s.state = State::kHeader;
      return;
    }
    s.preface_matched += n;
    data = data.subspan(n);
    if (s.preface_matched < kClientPreface.size()) return;
    s.state = State::kHeader;
    if (!client_known_) {
      client_dir_ = dir;
      client_known_ = true;
    }
  }

  // A DATA frame's payload, streamed: its pad length, content and padding.
  void take_data(Direction dir, Side& s, Bytes& data, int64_t ts) {
    if (s.pad_pending) {
      s.pad = data[0];
      s.pad_pending = false;
      data = data.subspan(1);
      --s.remaining;
      if (s.pad > s.remaining) {
        ++env_.counters.malformed;
        s.pad = uint8_t(s.remaining);
      }
      return;
    }
    uint64_t content = s.remaining - s.pad;
    size_t n = std::min<uint64_t>(data.size(), s.remaining);
    size_t body = std::min<uint64_t>(n, content);
    if (body > 0) data_payload(dir, s.frame.stream, data.first(body), ts);
    data = data.subspan(n);
    s.remaining -= n;
    if (s.remaining == 0) {
      s.state = State::kHeader;
      end_data_frame(dir, s.frame, ts);
    }
  }

  static Bytes as_bytes(const std::string& s) {
    return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  void lost_sync(Direction dir) {
    Side& s = sides_[int(dir)];
    s.state = State::kResync;
    s.buf.clear();
    s.block_open = false;
    s.hpack.lose_state();
    ++env_.counters.resyncs;
  }

  // Finds a frame start in the resync window: a plausible header followed by
  // another plausible header. `rest` gets the bytes from there on.
  static bool resync(Side& s, std::string& rest) {
    auto p = reinterpret_cast<const uint8_t*>(s.buf.data());
    size_t i = 0;
    for (; i + kFrameHeaderSize <= s.buf.size(); ++i) {
      FrameHeader h = parse_frame_header(p + i);
      if (!plausible_frame_header(h, kResyncMaxLength)) continue;
      size_t next = i + kFrameHeaderSize + h.length;
      if (next + kFrameHeaderSize > s.buf.size()) {
        if (s.buf.size() - i < kResyncWindow) break;  // wait for the bytes that decide
        continue;
      }
      if (!plausible_frame_header(parse_frame_header(p + next), kResyncMaxLength)) continue;
      rest = s.buf.substr(i);
      s.buf.clear();
      return true;
    }
    s.buf.erase(0, i);
    if (s.buf.size() > kResyncWindow) s.buf.erase(0, s.buf.size() - kResyncWindow);
    return false;
  }

  void begin_frame(Direction dir, const FrameHeader& h, int64_t ts) {
    Side& s = sides_[int(dir)];
    if (!s.started) {
      s.started = true;
      // A direction that begins with SETTINGS begins at the connection start
      // (the preface); anything else is a mid-connection pickup.
      if (h.type != kSettings || (h.flags & kAck)) s.hpack.lose_state();
    }
    s.frame = h;
    s.remaining = h.length;
    if (h.type == kData) {
      s.state = State::kData;
      s.pad_pending = h.flags & kPadded;
      s.pad = 0;
      if (h.length == 0) {
        s.state = State::kHeader;
        end_data_frame(dir, h, ts);
      }
      return;
    }
    if (h.length > kMaxBufferedFrame) {
      ++env_.counters.malformed;
      if (h.type == kHeaders || h.type == kContinuation || h.type == kPushPromise) {
        s.block_open = false;
        s.hpack.lose_state();
      }
      s.state = State::kSkip;
      return;
    }
    s.state = State::kPayload;
    s.buf.clear();
    if (h.length == 0) {
      s.state = State::kHeader;
      frame(dir, h, {}, ts);
    }
  }

  void frame(Direction dir, const FrameHeader& h, Bytes payload, int64_t ts) {
    Side& s = sides_[int(dir)];
    if (s.block_open && h.type != kContinuation) {
      // A header block interrupted by another frame: a protocol error.
      ++env_.counters.malformed;
      s.block_open = false;
      s.hpack.lose_state();
    }
    switch (h.type) {
      case kHeaders:
      case kPushPromise: {
        size_t pos = 0, pad = 0;
        if (h.flags & kPadded) {
          if (payload.empty()) return malformed_block(dir);
          pad = payload[0];
          pos = 1;
        }
        uint32_t promised = 0;
        if (h.type == kPushPromise) {
          if (payload.size() < pos + 4) return malformed_block(dir);
          promised = load_be32(payload.data() + pos) & 0x7FFFFFFF;
          pos += 4;
        } else if (h.flags & kPriorityFlag) {
          pos += 5;
        }
        if (pos + pad > payload.size()) return malformed_block(dir);
        s.block_open = true;
        s.block_type = h.type;
        s.block_stream = h.stream;
        s.promised = promised;
        s.block_end_stream = h.type == kHeaders && (h.flags & kEndStream);
        s.block_overflow = false;
        s.block_wire = kFrameHeaderSize + h.length;
        Bytes fragment = payload.subspan(pos, payload.size() - pos - pad);
        s.block.assign(reinterpret_cast<const char*>(fragment.data()), fragment.size());
        if (h.flags & kEndHeaders) header_block(dir, ts);
        return;
      }
      case kContinuation:
        if (!s.block_open || h.stream != s.block_stream) {
          ++env_.counters.malformed;
          return;
        }
        s.block_wire += kFrameHeaderSize + h.length;
        if (s.block.size() + payload.size() > kMaxHeaderBlock) {
          s.block_overflow = true;
          s.block.clear();
        } else if (!s.block_overflow) {
          s.block.append(reinterpret_cast<const char*>(payload.data()), payload.size());
        }
        if (h.flags & kEndHeaders) header_block(dir, ts);
        return;
      case kRstStream:
        return reset_stream(dir, h.stream, payload, ts);
      case kSettings:
        if (h.flags & kAck) return;
        for (size_t i = 0; i + 6 <= payload.size(); i += 6) {
          uint16_t id = load_be16(payload.data() + i);
          uint32_t value = load_be32(payload.data() + i + 2);
          // The sender's decoder, which reads the other direction's blocks.
          if (id == 1) sides_[int(opposite(dir))].hpack.set_max_table_size(value);
        }
        return;
      default:
        return;  // PRIORITY, PING, GOAWAY, WINDOW_UPDATE, extensions: counted as bytes only
    }
  }

  // RST_STREAM. A server's reset ends the stream. A client's may cross the
  // server's answer on the wire (a cancelled request answered at once): the
  // stream waits kResetGraceUs for it, so the answer is kept, not dropped.
  void reset_stream(Direction dir, uint32_t id, Bytes payload, int64_t ts) {
    auto it = streams_.find(id);
    if (it == streams_.end() || payload.size() < 4) return;
    Stream& st = it->second;
    if (st.error.empty())
      st.error = "stream reset: " + std::string(error_code_name(load_be32(payload.data())));
    st.side[st.role(dir)].touch(ts);
    if (st.role(dir) == 1 || st.reset_us || st.side[1].ended) {
      Stream done = std::move(st);
      streams_.erase(it);
      emit(std::move(done));
      return;
    }
    st.reset_us = ts;
    resets_.push_back(id);
  }

  // Streams reset by the client whose grace is over go out as they are.
  void expire_resets(int64_t ts) {
    while (!resets_.empty()) {
      auto it = streams_.find(resets_.front());
      bool waiting = it != streams_.end() && it->second.reset_us;
      if (waiting && ts - it->second.reset_us < kResetGraceUs) return;
      resets_.pop_front();
      if (!waiting) continue;  // answered meanwhile, already out
      Stream done = std::move(it->second);
      streams_.erase(it);
      emit(std::move(done));
    }
  }

  void malformed_block(Direction dir) {
    ++env_.counters.malformed;
    sides_[int(dir)].hpack.lose_state();
  }

  void header_block(Direction dir, int64_t ts) {
    Side& s = sides_[int(dir)];
    s.block_open = false;
    HpackResult r;
    if (s.block_overflow) {
      ++env_.counters.malformed;
      s.hpack.lose_state();
      r.ok = false;
    } else {
      r = s.hpack.decode(as_bytes(s.block));
      if (!r.ok) ++env_.counters.malformed;
    }
    s.block.clear();
    if (s.block_type == kPushPromise) {
      // The promised stream's request, sent by the server on the client's behalf.
      Stream* st = open_stream(s.promised, opposite(dir), nullptr);
      if (!st) return;
      st->push = true;
      Message& m = st->side[0];
      m.headers = std::move(r.headers);
      m.has_headers = true;
      m.ended = true;
      m.unknown_headers = r.unknown;
      m.header_error = !r.ok || r.truncated;
      m.wire_bytes += s.block_wire;
      m.touch(ts);
      return;
    }
    Stream* st = open_stream(s.block_stream, dir, &r.headers);
    if (!st) return;
    Message& m = st->side[st->role(dir)];
    m.wire_bytes += s.block_wire;
    m.touch(ts);
    std::string_view status = find_header(r.headers, ":status");
    bool interim = status.size() == 3 && status[0] == '1' && status != "101";
    if (!interim) {
      if (!m.has_headers) {
        m.headers = std::move(r.headers);
        m.has_headers = true;
      } else {
        for (auto& h : r.headers) m.trailers.push_back(std::move(h));
      }
      m.unknown_headers += r.unknown;
      m.header_error = m.header_error || !r.ok || r.truncated;
    }
    if (s.block_end_stream) {
      m.ended = true;
      finished(st->id);
    }
  }

  // The stream `id` that a frame from `dir` belongs to; created when new.
  // Null for a stream that already ended (late frames) or an invalid id.
  Stream* open_stream(uint32_t id, Direction dir, const HeaderList* headers) {
    if (id == 0) return nullptr;
    auto it = streams_.find(id);
    if (it != streams_.end()) return &it->second;
    if (closed_set_.count(id)) return nullptr;
    Direction client;
    if (headers && has_header(*headers, ":method")) {
      client = dir;
    } else if (headers && has_header(*headers, ":status")) {
      client = opposite(dir);
    } else if (client_known_) {
      client = client_dir_;
    } else {
      client = (id & 1) ? dir : opposite(dir);  // clients open odd streams
    }
    if (!client_known_ && headers &&
        (has_header(*headers, ":method") || has_header(*headers, ":status"))) {
      client_dir_ = client;
      client_known_ = true;
    }
    if (streams_.size() >= kMaxOpenStreams) {
      auto oldest = streams_.begin();
      Stream s = std::move(oldest->second);
      streams_.erase(oldest);
      emit(std::move(s));
    }
    Stream& s = streams_[id];
    s.id = id;
    s.client = client;
    return &s;
  }

  void data_payload(Direction dir, uint32_t id, Bytes data, int64_t ts) {
    Stream* st = open_stream(id, dir, nullptr);
    if (!st) return;
    Message& m = st->side[st->role(dir)];
    m.touch(ts);
    m.body_bytes += data.size();
    bool encoded =
        !m.header("content-encoding").empty() || is_grpc_content_type(m.header("content-type"));
    size_t keep =
        encoded ? std::max(kCompressedKeep, env_.settings.max_body) : env_.settings.max_body;
    size_t room = m.body.size() < keep ? keep - m.body.size() : 0;
    size_t n = std::min(room, data.size());
    if (n && !m.body_held.budget()) m.body_held = BudgetShare(env_.settings.memory);
    if (n && !m.body_held.take(n)) {  // the memory budget is spent: kept as far as it got
      if (!m.body_capped) ++env_.counters.budget_drops;
      n = 0;
    }
    m.body.append(reinterpret_cast<const char*>(data.data()), n);
    if (n < data.size()) m.body_capped = true;
  }

  void end_data_frame(Direction dir, const FrameHeader& h, int64_t ts) {
    Stream* st = open_stream(h.stream, dir, nullptr);
    if (!st) return;
    Message& m = st->side[st->role(dir)];
    m.wire_bytes += kFrameHeaderSize + h.length;
    m.touch(ts);
    if (h.flags & kEndStream) {
      m.ended = true;
      finished(st->id);
    }
  }

  // An exchange is over once the response ended.
  void finished(uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end() || !it->second.side[1].ended) return;
    Stream s = std::move(it->second);
    streams_.erase(it);
    emit(std::move(s));
  }

  void remember_closed(uint32_t id) {
    closed_order_.push_back(id);
    closed_set_.insert(id);
    if (closed_order_.size() > kRecentlyClosed) {
      closed_set_.erase(closed_order_.front());
      closed_order_.pop_front();
    }
  }

  void set_message_fields(Json& out, Message& m, bool request, bool grpc) {
    if (request) {
      std::string_view path = m.header(":path");
      out.set("method", m.header(":method"));
      out.set("url", path);
      size_t qmark = path.find('?');
      out.set("path", path.substr(0, qmark));
      out.set("queryString", qmark == std::string_view::npos
                                 ? Json::object()
                                 : parse_query_string(path.substr(qmark + 1)));
      std::string_view authority = m.header(":authority");
      out.set("host", authority.empty() ? m.header("host") : authority);
    } else {
      std::string_view status = m.header(":status");
      int code = 0;
      for (char c : status)
        code = (c >= '0' && c <= '9' && code < 1000) ? code * 10 + (c - '0') : code;
      out.set("status", code);
      out.set("statusText", http_reason_phrase(code));
    }
    std::string encoding(m.header("content-encoding"));
    out.set("headers", headers_json(std::move(m.headers)));
    if (!grpc && set_body_fields(out, std::move(m.body), m.body_bytes, m.body_capped, encoding,
                                 env_.settings.max_body))
      ++env_.counters.body_truncated;
    if (!m.trailers.empty()) out.set("trailers", headers_json(std::move(m.trailers)));
    if (m.unknown_headers) out.set("unknownHeaders", m.unknown_headers);
  }

  void emit(Stream&& s) {
    remember_closed(s.id);
    ++env_.counters.messages;
    Message& req = s.side[0];
    Message& resp = s.side[1];
    Entry e;
    e.protocol = "http2";
    e.version = "2";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(s.client);
    e.dst = env_.flow.receiver(s.client);
    bool have_request = req.has_headers || req.body_bytes > 0;
    bool have_response = resp.has_headers || resp.body_bytes > 0;
    bool grpc = is_grpc_content_type(req.header("content-type")) ||
                is_grpc_content_type(resp.header("content-type"));
    e.timestamp_us = have_request ? req.first_us : resp.first_us;
    e.request_size = req.wire_bytes;
    // What the gRPC fields need, before the HTTP fields take bodies and headers.
    std::string path(req.header(":path"));
    std::string req_body, resp_body, req_encoding, resp_encoding;
    HeaderList status_block;
    if (grpc) {
      req_body = std::move(req.body);
      resp_body = std::move(resp.body);
      req_encoding = req.header("grpc-encoding");
      resp_encoding = resp.header("grpc-encoding");
      status_block = resp.trailers.empty() ? resp.headers : resp.trailers;
    }
    set_message_fields(e.request, req, true, grpc);
    if (s.upgraded) {
      // The request was the HTTP/1.1 one, already its own http entry.
      e.request = Json::object();
      e.request.set("url", path);
      e.request.set("upgrade", "h2c");
    }
    e.request.set("streamId", s.id);
    if (s.push) e.request.set("pushPromise", true);
    if (have_response) {
      e.elapsed_ms = double(resp.last_us - e.timestamp_us) / 1000.0;
      e.response_size = resp.wire_bytes;
      set_message_fields(e.response.emplace(Json::object()), resp, false, grpc);
    }
    if (grpc) {
      GrpcSide in{req_body, req.body_bytes, req.body_capped, req_encoding};
      GrpcSide out{resp_body, resp.body_bytes, resp.body_capped, resp_encoding};
      set_grpc_fields(e, path, in, out, status_block, env_.settings.max_body,
                      env_.settings.proto_schema);
      env_.counters.body_truncated += uint64_t(req.body_capped) + uint64_t(resp.body_capped);
    } else if (!s.upgraded) {
      refine_graphql(e);
    }
    mark_stream_problem(e, s, have_request, have_response);
    env_.sink.emit(std::move(e));
  }

  void mark_stream_problem(Entry& e, Stream& s, bool have_request, bool have_response) {
    const Message& req = s.side[0];
    const Message& resp = s.side[1];
    DissectCounters& c = env_.counters;
    if (!s.error.empty()) {
      mark_problem(e, std::move(s.error), c);
    } else if (req.gap || resp.gap) {
      mark_problem(e, EntryProblem::kGap, c);
    } else if (req.header_error || resp.header_error) {
      mark_problem(e, EntryProblem::kMalformed, c, "header block");
    } else if (req.unknown_headers || resp.unknown_headers) {
      mark_problem(e, EntryProblem::kIncomplete, c,
                   "headers incomplete: HPACK table from before the capture");
    } else if (!have_response) {
      mark_problem(e, EntryProblem::kNoResponse, c);
    } else if (!have_request) {
      mark_problem(e, EntryProblem::kNoRequest, c);
    } else if (!resp.ended) {
      mark_problem(e, EntryProblem::kTruncated, c);
    }
  }

  DissectorEnv env_;
  Side sides_[2];
  std::map<uint32_t, Stream> streams_;  // open streams by id: the oldest first
  std::deque<uint32_t> resets_;         // streams the client reset, oldest first
  std::deque<uint32_t> closed_order_;
  std::unordered_set<uint32_t> closed_set_;
  Direction client_dir_ = Direction::kAtoB;
  bool client_known_ = false;
};

Probe probe_http2(Bytes first, Direction) {
  std::string_view t = as_text(first);
  size_t n = std::min(t.size(), kClientPreface.size());
  if (n >= 4 && t.substr(0, n) == kClientPreface.substr(0, n)) return Probe::kYes;
  // A server's first bytes, or a capture that starts mid-connection: frames.
  size_t pos = 0;
  int frames = 0;
  while (pos + kFrameHeaderSize <= first.size()) {
    FrameHeader h = parse_frame_header(first.data() + pos);
    if (!plausible_frame_header(h, kResyncMaxLength)) return Probe::kNo;
    // The server preface is a SETTINGS frame: one is enough.
    if (pos == 0 && h.type == kSettings && !(h.flags & kAck) && h.length <= 36) return Probe::kYes;
    pos += kFrameHeaderSize + h.length;
    if (++frames == 2) return Probe::kYes;
  }
  // One plausible frame so far, or too few bytes for a frame header: more decide.
  return Probe::kMaybe;
}

std::unique_ptr<StreamDissector> create_http2(const DissectorEnv& env) {
  return std::make_unique<Http2Dissector>(env);
}

std::unique_ptr<StreamDissector> upgrade_http2(const DissectorEnv& env, UpgradeContext& up) {
  return std::make_unique<Http2Dissector>(env, up);
}

}  // namespace

const ProtocolInfo& http2_protocol() {
  static const ProtocolInfo info{"http2",      kOverTcp, {},           probe_http2,
                                 create_http2, "h2c",    upgrade_http2};
  return info;
}

}  // namespace trawl
