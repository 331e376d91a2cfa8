#include "protocols/websocket/websocket.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "protocols/http1/http1.h"
#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;

std::string ws_frame(bool fin, uint8_t opcode, std::string payload, bool masked,
                     bool rsv1 = false) {
  std::string f;
  f += char((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
  uint8_t m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += char(m | payload.size());
  } else if (payload.size() < 65536) {
    f += char(m | 126);
    f += char(payload.size() >> 8);
    f += char(payload.size());
  } else {
    f += char(m | 127);
    for (int i = 7; i >= 0; --i) f += char(uint64_t(payload.size()) >> (8 * i));
  }
  if (masked) {
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    f.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= key[i & 3];
  }
  return f + payload;
}

const std::string kUpgradeRequest =
    "GET /chat HTTP/1.1\r\nHost: s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

std::string upgrade_response(const std::string& accept, const std::string& extensions = "") {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept + "\r\n" + extensions + "\r\n";
}

// permessage-deflate sender with context takeover.
class MessageDeflater {
 public:
  MessageDeflater() { deflateInit2(&z_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY); }
  ~MessageDeflater() { deflateEnd(&z_); }
  std::string compress(const std::string& in) {
    std::string out(in.size() + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = uInt(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = uInt(out.size());
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out - 4);  // without 00 00 ff ff
    return out;
  }

 private:
  z_stream z_{};
};

TEST(WebSocket, AcceptKeyFromTheRfcExample) {
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, MessagesBothWaysAfterTheUpgrade) {
  DissectorHarness h(http1_protocol());
  h.a(kUpgradeRequest);
  // The server's first frame arrives in the same segment as the 101.
  h.b(upgrade_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + ws_frame(true, 1, "welcome", false));
  h.a(ws_frame(true, 1, "hello", true) + ws_frame(true, 2, std::string("\x00\x01\x02", 3), true));
  h.a(ws_frame(false, 1, "frag-", true));
  h.a(ws_frame(true, 9, "are you there", true));  // a ping between fragments
  h.a(ws_frame(false, 0, "ment", true) + ws_frame(true, 0, "ed", true));
  h.b(ws_frame(true, 10, "are you there", false));
  h.a(ws_frame(true, 8, std::string("\x03\xe8", 2) + "bye", true));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 8u);
  EXPECT_EQ(h.sink.entries[0].protocol, "http");
  auto ws = [&](size_t i) -> const Json& { return h.sink.entries[i].request; };
  EXPECT_EQ(str(ws(1), "opcode"), "text");
  EXPECT_EQ(str(ws(1), "payload"), "welcome");
  EXPECT_EQ(str(ws(1), "direction"), "server");
  EXPECT_EQ(ws(1).find("masked")->dump(), "false");
  EXPECT_EQ(h.sink.entries[1].src.ip, "10.0.0.2");
  EXPECT_EQ(str(ws(2), "payload"), "hello");
  EXPECT_EQ(str(ws(2), "direction"), "client");
  EXPECT_EQ(ws(2).find("masked")->dump(), "true");
  EXPECT_EQ(str(ws(3), "opcode"), "binary");
  EXPECT_EQ(str(ws(3), "payloadBase64"), "AAEC");
  EXPECT_EQ(str(ws(4), "opcode"), "ping");
  EXPECT_EQ(str(ws(5), "payload"), "frag-mented");
  EXPECT_EQ(num(ws(5), "frames"), 3);
  EXPECT_EQ(str(ws(6), "opcode"), "pong");
  EXPECT_EQ(str(ws(7), "opcode"), "close");
  EXPECT_EQ(num(ws(7), "closeCode"), 1000);
  EXPECT_EQ(str(ws(7), "closeReason"), "bye");
  for (size_t i = 1; i < 8; ++i) EXPECT_TRUE(h.sink.entries[i].error.empty()) << i;
}

TEST(WebSocket, PermessageDeflateWithContextTakeover) {
  DissectorHarness h(http1_protocol());
  h.a(kUpgradeRequest);
  h.b(upgrade_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                       "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
  MessageDeflater client;
  std::string text = "{\"event\":\"price\",\"symbol\":\"ACME\",\"value\":1}";
  std::string first = client.compress(text);
  std::string second = client.compress(text);  // refers back to the first
  EXPECT_LT(second.size(), first.size());
  h.a(ws_frame(true, 1, first, true, true));
  // The second message fragmented, RSV1 on its first frame only.
  h.a(ws_frame(false, 1, second.substr(0, 3), true, true) +
      ws_frame(true, 0, second.substr(3), true));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    const Json& q = h.sink.entries[i].request;
    EXPECT_EQ(str(q, "payload"), text) << i;
    EXPECT_EQ(num(q, "length"), int64_t(text.size()));
    EXPECT_EQ(q.find("compressed")->dump(), "true");
    EXPECT_TRUE(h.sink.entries[i].error.empty()) << h.sink.entries[i].error;
  }
}

// A client that does not check the accept key goes on: its frames are on the
// wire and are dissected; the 101 says what was wrong.
TEST(WebSocket, WrongAcceptKeyIsFlaggedAndTheFramesDissected) {
  DissectorHarness h(http1_protocol());
  h.a(kUpgradeRequest);
  h.b(upgrade_response("bm90IHRoZSByaWdodCBrZXk=") + ws_frame(true, 1, "x", false));
  h.a(ws_frame(true, 1, "from the client", true));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 3u);
  EXPECT_EQ(h.sink.entries[0].protocol, "http");
  EXPECT_EQ(h.sink.entries[0].error, "malformed: Sec-WebSocket-Accept does not match the key");
  EXPECT_EQ(h.counters.malformed, 1u);
  EXPECT_EQ(h.sink.entries[1].protocol, "websocket");
  EXPECT_EQ(str(h.sink.entries[1].request, "payload"), "x");
  EXPECT_EQ(str(h.sink.entries[2].request, "payload"), "from the client");
  EXPECT_EQ(str(h.sink.entries[2].request, "direction"), "client");
}

TEST(WebSocket, MidStreamPickupByContent) {
  const ProtocolInfo& p = websocket_protocol();
  EXPECT_EQ(p.probe(bytes(ws_frame(true, 1, "{\"a\":1}", true)), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\n\r\n"), Direction::kAtoB), Probe::kNo);
  EXPECT_EQ(p.probe(bytes(ws_frame(true, 1, "abc", false) + "x"), Direction::kAtoB), Probe::kNo);
  // Length-prefixed binary protocols (a Kafka request, an SSH packet) start with a
  // zero byte, which would read as a continuation frame.
  std::string kafka("\x00\x00\x00\x05\x00\x12\x00\x03\x00", 9);
  EXPECT_EQ(p.probe(bytes(kafka), Direction::kAtoB), Probe::kNo);
  EXPECT_EQ(p.probe(bytes("SSH-2.0-OpenSSH_9.2p1\r\n"), Direction::kAtoB), Probe::kNo);
  DissectorHarness h(p);
  h.b(ws_frame(true, 1, "from server", false));
  h.a(ws_frame(true, 1, "from client", true));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(str(h.sink.entries[0].request, "direction"), "server");
  EXPECT_EQ(str(h.sink.entries[1].request, "direction"), "client");
}

TEST(WebSocket, GapDropsToTheNextWholeFrames) {
  DissectorHarness h(websocket_protocol());
  h.a(ws_frame(false, 1, "start of a long message", true));
  h.dissector->on_gap(Direction::kAtoB, 100, 1500);
  h.a("tail of lost bytes");  // not frames: skipped
  h.a(ws_frame(true, 1, "after the gap", true));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 2u);
  EXPECT_EQ(h.sink.entries[0].error, "gap in stream");
  EXPECT_EQ(str(h.sink.entries[1].request, "payload"), "after the gap");
  EXPECT_TRUE(h.sink.entries[1].error.empty());
}

}  // namespace
}  // namespace trawl
