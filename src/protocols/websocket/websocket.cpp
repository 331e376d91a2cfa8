#include "protocols/websocket/websocket.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#include "base/text.h"
#include "dissect/entry_problem.h"

namespace trawl {

namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxControlPayload = 125;

enum Opcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10
};

std::string opcode_name(uint8_t op) {
  switch (op) {
    case kContinuation:
      return "continuation";
    case kText:
      return "text";
    case kBinary:
      return "binary";
    case kClose:
      return "close";
    case kPing:
      return "ping";
    case kPong:
      return "pong";
    default:
      return "opcode" + std::to_string(op);
  }
}

bool is_control(uint8_t op) {
  return op >= 8;
}

// The parts of a frame header, once whole.
struct FrameHeader {
  bool fin = false, rsv1 = false;
  uint8_t rsv = 0;  // all three RSV bits
  uint8_t opcode = 0;
  bool masked = false;
  std::array<uint8_t, 4> mask{};
  uint64_t length = 0;
  size_t header_size = 0;
};

// Parses a frame header at the start of `b`; 0 when more bytes are needed.
size_t parse_header(Bytes b, FrameHeader& h) {
  if (b.size() < 2) return 0;
  h.fin = b[0] & 0x80;
  h.rsv = (b[0] >> 4) & 7;
  h.rsv1 = b[0] & 0x40;
  h.opcode = b[0] & 0x0F;
  h.masked = b[1] & 0x80;
  uint8_t len7 = b[1] & 0x7F;
  size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h.masked ? 4 : 0);
  if (b.size() < need) return 0;
  size_t pos = 2;
  if (len7 == 126) {
    h.length = load_be16(b.data() + 2);
    pos = 4;
  } else if (len7 == 127) {
    h.length = uint64_t(load_be32(b.data() + 2)) << 32 | load_be32(b.data() + 6);
    pos = 10;
  } else {
    h.length = len7;
  }
  if (h.masked) std::copy_n(b.data() + pos, 4, h.mask.begin());
  h.header_size = need;
  return need;
}

// A header a real endpoint could send, given what the connection negotiated.
bool plausible(const FrameHeader& h, bool deflate_possible) {
  bool known = h.opcode <= kBinary || (h.opcode >= kClose && h.opcode <= kPong);
  if (!known) return false;
  uint8_t allowed_rsv = deflate_possible && (h.opcode == kText || h.opcode == kBinary) ? 4 : 0;
  if (h.rsv & ~allowed_rsv) return false;
  if (is_control(h.opcode) && (!h.fin || h.length > kMaxControlPayload)) return false;
  return h.length < (uint64_t(1) << 63);
}

// Raw DEFLATE of one direction's messages (RFC 7692), keeping the window across
// messages unless the peers agreed on no context takeover.
class Inflater {
 public:
  Inflater() = default;
  ~Inflater() {
    if (ready_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates `in`, appending to `out` up to `cap` bytes (the rest is decoded and
  // dropped, so the window stays right). Returns the decoded length, or -1 on error.
  int64_t feed(Bytes in, std::string& out, size_t cap) {
    if (!ready_) {
      z_ = {};
      if (inflateInit2(&z_, -15) != Z_OK) return -1;
      ready_ = true;
    }
    unsigned char chunk[16384];
    z_.next_in = const_cast<uint8_t*>(in.data());
    z_.avail_in = uInt(in.size());
    int64_t produced = 0;
    do {
      z_.next_out = chunk;
      z_.avail_out = sizeof chunk;
      int rc = inflate(&z_, Z_SYNC_FLUSH);
      size_t n = sizeof chunk - z_.avail_out;
      produced += int64_t(n);
      size_t room = out.size() < cap ? cap - out.size() : 0;
      out.append(reinterpret_cast<char*>(chunk), std::min(room, n));
      if (rc == Z_STREAM_END) {
        inflateReset(&z_);  // a final block: the next message starts a new stream
        if (z_.avail_in == 0) break;
        continue;
      }
      if (rc == Z_BUF_ERROR && n == 0) break;  // needs more input
      if (rc != Z_OK && rc != Z_BUF_ERROR) return -1;
    } while (z_.avail_in > 0 || z_.avail_out == 0);
    return produced;
  }

  void reset() {
    if (ready_) inflateReset(&z_);
  }

 private:
  z_stream z_{};
  bool ready_ = false;
};

struct Message {
  uint8_t opcode = 0;
  bool masked = false;
  bool compressed = false;
  std::string data;     // decoded payload, up to max_body
  uint64_t length = 0;  // decoded payload length
  uint64_t wire_bytes = 0;
  int frames = 0;
  int64_t first_us = 0;
  bool gap = false;
  std::string error;
};

struct Deflate {
  bool negotiated = false;
  bool no_context[2] = {false, false};  // by sender: client, server
};

class WebSocketDissector : public StreamDissector {
 public:
  WebSocketDissector(const DissectorEnv& env, Direction client, bool client_known, Deflate deflate)
      : env_(env), client_(client), client_known_(client_known), deflate_(deflate) {}

  void on_data(Direction dir, Bytes data, int64_t ts) override {
    Side& s = sides_[int(dir)];
    if (s.state == State::kResync) {
      // Frames usually start at segment boundaries: take a segment that is a
      // whole sequence of frames.
      if (!whole_frames(data, deflate_.negotiated)) return;
      s.state = State::kHeader;
    }
    while (!data.empty()) {
      if (s.state == State::kHeader) {
        size_t before = s.header.size();
        size_t take = std::min<size_t>(data.size(), 14 - before);
        s.header.append(reinterpret_cast<const char*>(data.data()), take);
        FrameHeader h;
        size_t used = parse_header(
            Bytes(reinterpret_cast<const uint8_t*>(s.header.data()), s.header.size()), h);
        if (used == 0) {
          data = data.subspan(take);
          continue;
        }
        data = data.subspan(used - before);
        s.header.clear();
        begin_frame(dir, h, ts);
        continue;
      }
      size_t n = std::min<uint64_t>(data.size(), s.remaining);
      payload(dir, data.first(n));
      data = data.subspan(n);
      s.remaining -= n;
      if (s.remaining == 0) end_frame(dir, ts);
    }
  }

  void on_gap(Direction dir, uint64_t, int64_t) override {
    Side& s = sides_[int(dir)];
    if (s.in_message) {
      s.message.gap = true;
      emit(dir, std::move(s.message));
      s.in_message = false;
    }
    s.state = State::kResync;
    s.header.clear();
    s.remaining = 0;
    // The compression window is gone with the lost bytes.
    s.inflater.reset();
    s.window_lost = deflate_.negotiated && !deflate_.no_context[sender_role(dir)];
    ++env_.counters.resyncs;
  }

  void on_close(int64_t) override {
    for (int d = 0; d < 2; ++d) {
      Side& s = sides_[d];
      if (s.in_message) {
        if (s.message.error.empty()) s.message.error = "truncated";
        emit(Direction(d), std::move(s.message));
        s.in_message = false;
      }
      if (s.state == State::kPayload && s.frame_is_control) {
        s.control.error = "truncated";
        emit(Direction(d), std::move(s.control));
      }
    }
  }

  // True when `b` is one or more whole frames, as a sender would write them.
  static bool whole_frames(Bytes b, bool deflate_possible) {
    size_t pos = 0;
    int frames = 0;
    while (pos < b.size()) {
      FrameHeader h;
      size_t n = parse_header(b.subspan(pos), h);
      if (n == 0 || !plausible(h, deflate_possible) || h.length > b.size() - pos - n) return false;
      pos += n + h.length;
      ++frames;
    }
    return frames > 0;
  }

 private:
  enum class State { kHeader, kPayload, kResync };

  struct Side {
    State state = State::kHeader;
    std::string header;
    FrameHeader frame;
    uint64_t remaining = 0, offset = 0;
    bool frame_is_control = false;
    bool frame_compressed = false;
    bool in_message = false;
    Message message;  // the data message being assembled
    Message control;  // a control frame, which may arrive between fragments
    Inflater inflater;
    bool window_lost = false;
  };

  int sender_role(Direction dir) const { return dir == client_ ? 0 : 1; }

  void begin_frame(Direction dir, const FrameHeader& h, int64_t ts) {
    Side& s = sides_[int(dir)];
    if (!client_known_) {
      // Clients mask every frame, servers none (RFC 6455 5.1).
      client_ = h.masked ? dir : opposite(dir);
      client_known_ = true;
    }
    if (!plausible(h, true)) ++env_.counters.malformed;
    s.frame = h;
    s.remaining = h.length;
    s.offset = 0;
    s.frame_is_control = is_control(h.opcode);
    uint64_t wire = h.header_size + h.length;
    if (s.frame_is_control) {
      s.control = Message{};
      s.control.opcode = h.opcode;
      s.control.masked = h.masked;
      s.control.first_us = ts;
      s.control.frames = 1;
      s.control.wire_bytes = wire;
    } else {
      if (h.opcode != kContinuation || !s.in_message) {
        if (s.in_message) {  // a new message before the last one finished
          s.message.error = "truncated";
          emit(dir, std::move(s.message));
        }
        s.message = Message{};
        s.message.opcode = h.opcode;
        s.message.masked = h.masked;
        s.message.first_us = ts;
        s.message.compressed = h.rsv1;
        // A continuation without its first frame: the capture began inside the message.
        if (h.opcode == kContinuation) s.message.error = "truncated";
        if (h.rsv1 && s.window_lost) s.message.error = "compressed with a window lost in a gap";
        s.in_message = true;
      }
      s.message.wire_bytes += wire;
      ++s.message.frames;
    }
    s.state = State::kPayload;
    if (h.length == 0) end_frame(dir, ts);
  }

  void payload(Direction dir, Bytes data) {
    Side& s = sides_[int(dir)];
    std::string plain(reinterpret_cast<const char*>(data.data()), data.size());
    if (s.frame.masked)
      for (size_t i = 0; i < plain.size(); ++i) plain[i] ^= s.frame.mask[(s.offset + i) & 3];
    s.offset += data.size();
    Message& m = s.frame_is_control ? s.control : s.message;
    size_t cap = env_.settings.max_body;
    if (!s.frame_is_control && m.compressed) {
      if (!m.error.empty()) return;
      int64_t n = s.inflater.feed(as_bytes(plain), m.data, cap);
      if (n < 0) {
        m.error = "malformed: deflate data";
        ++env_.counters.malformed;
        return;
      }
      m.length += uint64_t(n);
      return;
    }
    m.length += plain.size();
    size_t room = m.data.size() < cap ? cap - m.data.size() : 0;
    m.data.append(plain, 0, std::min(room, plain.size()));
  }

  static Bytes as_bytes(const std::string& s) {
    return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  void end_frame(Direction dir, int64_t) {
    Side& s = sides_[int(dir)];
    s.state = State::kHeader;
    if (s.frame_is_control) {
      emit(dir, std::move(s.control));
      return;
    }
    if (!s.frame.fin) return;
    Message& m = s.message;
    if (m.compressed && m.error.empty()) {
      // RFC 7692 7.2.2: the sender removed this empty block's tail.
      static const uint8_t kTail[] = {0x00, 0x00, 0xFF, 0xFF};
      int64_t n = s.inflater.feed(Bytes(kTail, 4), m.data, env_.settings.max_body);
      if (n < 0) {
        m.error = "malformed: deflate data";
      } else {
        m.length += uint64_t(n);
      }
    }
    if (m.compressed && deflate_.no_context[sender_role(dir)]) s.inflater.reset();
    s.in_message = false;
    emit(dir, std::move(m));
  }

  void emit(Direction dir, Message&& m) {
    ++env_.counters.messages;
    Entry e;
    e.protocol = "websocket";
    e.version = "13";
    e.layer4 = env_.flow.layer4;
    e.stream = env_.flow.stream;
    e.src = env_.flow.sender(dir);
    e.dst = env_.flow.receiver(dir);
    e.timestamp_us = m.first_us;
    e.request_size = m.wire_bytes;
    Json& q = e.request;
    q.set("opcode", opcode_name(m.opcode));
    bool truncated = m.length > m.data.size();
    if (m.opcode == kClose && m.data.size() >= 2) {
      q.set("closeCode", load_be16(reinterpret_cast<const uint8_t*>(m.data.data())));
      q.set("closeReason", m.data.substr(2));
    }
    bool text = m.opcode == kText ? is_valid_utf8(m.data) : is_printable_utf8(m.data);
    if (text) {
      q.set("payload", std::move(m.data));
    } else {
      q.set("payloadBase64", base64_encode(m.data));
    }
    q.set("length", m.length);
    q.set("masked", m.masked);
    q.set("direction", dir == client_ ? "client" : "server");
    if (m.frames > 1) q.set("frames", m.frames);
    if (m.compressed) q.set("compressed", true);
    if (truncated) {
      q.set("payloadTruncated", true);
      ++env_.counters.body_truncated;
    }
    if (m.gap) {
      mark_problem(e, EntryProblem::kGap, env_.counters);
    } else if (!m.error.empty()) {
      mark_problem(e, std::move(m.error), env_.counters);
    }
    env_.sink.emit(std::move(e));
  }

  DissectorEnv env_;
  Direction client_;
  bool client_known_;
  Deflate deflate_;
  Side sides_[2];
};

std::string_view find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view lower_name) {
  for (const auto& [n, v] : headers)
    if (iequals(n, lower_name)) return v;
  return {};
}

// permessage-deflate parameters from the server's Sec-WebSocket-Extensions.
Deflate negotiated_deflate(std::string_view extensions) {
  Deflate d;
  while (!extensions.empty()) {
    size_t comma = extensions.find(',');
    std::string_view ext = extensions.substr(0, comma);
    extensions =
        comma == std::string_view::npos ? std::string_view() : extensions.substr(comma + 1);
    size_t semi = ext.find(';');
    if (!iequals(trim(ext.substr(0, semi)), "permessage-deflate")) continue;
    d.negotiated = true;
    while (semi != std::string_view::npos) {
      ext = ext.substr(semi + 1);
      semi = ext.find(';');
      std::string_view param = trim(ext.substr(0, semi));
      if (iequals(param, "client_no_context_takeover")) d.no_context[0] = true;
      if (iequals(param, "server_no_context_takeover")) d.no_context[1] = true;
    }
    break;
  }
  return d;
}

std::unique_ptr<StreamDissector> upgrade_websocket(const DissectorEnv& env, UpgradeContext& up) {
  std::string_view key = trim(find_header(up.request_headers, "sec-websocket-key"));
  std::string_view accept = trim(find_header(up.response_headers, "sec-websocket-accept"));
  // A conforming client gives up on such a handshake, but clients that do not
  // check go on sending frames, and so do the servers that answered them.
  if (key.empty() || accept != websocket_accept(key)) {
    ++env.counters.malformed;
    up.handshake_error = key.empty() ? "malformed: no Sec-WebSocket-Key"
                                     : "malformed: Sec-WebSocket-Accept does not match the key";
  }
  Deflate deflate =
      negotiated_deflate(find_header(up.response_headers, "sec-websocket-extensions"));
  return std::make_unique<WebSocketDissector>(env, up.client, true, deflate);
}

std::unique_ptr<StreamDissector> create_websocket(const DissectorEnv& env) {
  Deflate unknown;
  unknown.negotiated = true;  // a mid-connection pickup cannot know: RSV1 tells
  unknown.no_context[0] = unknown.no_context[1] = true;
  return std::make_unique<WebSocketDissector>(env, Direction::kAtoB, false, unknown);
}

// Mid-connection pickup: bytes that are whole frames starting a message,
// consistently masked, and either several frames or a text frame of valid UTF-8.
Probe probe_websocket(Bytes first, Direction) {
  if (!WebSocketDissector::whole_frames(first, true)) return Probe::kNo;
  FrameHeader h;
  size_t n = parse_header(first, h);
  // A message's first frame: a continuation first (a zero byte, as length-prefixed
  // binary protocols such as Kafka or SSH begin) is not taken.
  if (h.opcode == kContinuation) return Probe::kNo;
  if (n + h.length < first.size()) {
    bool masked = h.masked;
    for (size_t pos = 0; pos < first.size(); pos += n + h.length) {
      n = parse_header(first.subspan(pos), h);
      if (h.masked != masked) return Probe::kNo;
    }
    return Probe::kYes;
  }
  if (h.opcode != kText || h.length == 0) return Probe::kNo;
  std::string text(reinterpret_cast<const char*>(first.data() + n), h.length);
  if (h.masked)
    for (size_t i = 0; i < text.size(); ++i) text[i] ^= h.mask[i & 3];
  return is_valid_utf8(text) ? Probe::kYes : Probe::kNo;
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kAcceptGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  return base64_encode(std::string_view(reinterpret_cast<char*>(digest), len));
}

const ProtocolInfo& websocket_protocol() {
  static const ProtocolInfo info{
      "websocket", kOverTcp, {}, probe_websocket, create_websocket, "websocket", upgrade_websocket};
  return info;
}

}  // namespace trawl
