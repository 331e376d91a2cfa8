#include "entries/json.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "entries/entry.h"
#include "entries/json_parse.h"
#include "entries/json_simd.h"
#include "entries/json_writer.h"

namespace trawl {
namespace {

TEST(Json, WritesObjectsInInsertionOrder) {
  Json j = Json::object();
  j.set("b", 1);
  j.set("a", "x");
  Json arr = Json::array();
  arr.push(true);
  arr.push(Json());
  arr.push(1.25);
  j.set("list", std::move(arr));
  EXPECT_EQ(j.dump(), R"({"b":1,"a":"x","list":[true,null,1.25]})");
}

TEST(Json, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(Json(std::string("a\"b\\c\n\t\x01")).dump(), R"("a\"b\\c\n\t\u0001")");
}

TEST(Json, KeepsValidUtf8AndMapsInvalidBytesToLatin1) {
  EXPECT_EQ(Json("h\xc3\xa9").dump(), "\"h\xc3\xa9\"");
  // 0xE9 alone is not UTF-8: written as U+00E9.
  EXPECT_EQ(Json(std::string("h\xe9!")).dump(), "\"h\xc3\xa9!\"");
  // A truncated sequence at the end.
  EXPECT_EQ(Json(std::string("\xe2\x82")).dump(), "\"\xc3\xa2\xc2\x82\"");
}

// The block-at-a-time escaper against a byte-at-a-time reference, on strings of
// every length mixing clean text, bytes to escape and valid multi-byte UTF-8.
TEST(Json, BlockEscaperMatchesAByteAtATimeReference) {
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           "\"",
                                           "\\",
                                           "\n",
                                           "\x01",
                                           "\x1f",
                                           "/",
                                           "\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80",
                                           "{\"k\":"};
  auto reference = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"')
        out += "\\\"";
      else if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else
        out += char(c);
    }
    return out + "\"";
  };
  uint32_t seed = 12345;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    size_t count = round % 60;
    for (size_t k = 0; k < count; ++k) {
      seed = seed * 1103515245 + 12345;
      s += pieces[(seed >> 16) % pieces.size()];
    }
    std::string out;
    write_json_string(out, s);
    ASSERT_EQ(out, reference(s)) << "round " << round;
  }
}

TEST(Json, QuoteOnlyEscaperStopsAtEveryByteTheFullEscaperMustSee) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += "ab\"c\\"[i % 5];
    std::string expected;
    write_json_string(expected, s);
    std::vector<char> out(2 * n + 16);
    char* end = json_detail::copy_escaping_quotes(out.data(), s.data(), s.size());
    ASSERT_NE(end, nullptr) << n;
    EXPECT_EQ("\"" + std::string(out.data(), end) + "\"", expected) << n;
    for (size_t at = 0; at < n; ++at) {
      for (char bad : {'\n', '\x01', char(0xc3)}) {
        std::string t = s;
        t[at] = bad;
        EXPECT_EQ(json_detail::copy_escaping_quotes(out.data(), t.data(), t.size()), nullptr)
            << n << " " << at;
      }
    }
  }
}

TEST(Entry, TextsGivenBackAreTakenAgainEmpty) {
  while (take_entry_text().capacity() > std::string().capacity()) {
  }  // what tests before this one gave back
  Entry e;
  std::string text(200, 'x');
  const char* buffer = text.data();
  e.request.set_raw(std::move(text));
  e.response.emplace().set_raw(std::string(10, 'y'));  // too small to keep
  give_back_entry_texts(e);
  std::string again = take_entry_text();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.data(), buffer);
  EXPECT_EQ(take_entry_text().capacity(), std::string().capacity());
}

// Writes the same pieces to `out` through a JsonWriter and to the expected text.
template <typename Target>
std::string write_pieces(Target& out) {
  std::string expected = "[";
  {
    JsonWriter w(out);
    for (int i = 0; i < 300; ++i) {
      std::string s(size_t(i), "a\"\\\n\xc3\xa9z"[i % 6]);
      w.string(s);
      write_json_string(expected, s);
      w.literal(",");
      expected += ",";
      if (i % 7 == 0) {
        w.out() += "0,";  // a writer of its own, in between
        expected += "0,";
      }
      if (i % 11 == 0) {  // two in a row, then at once another
        w.out() += "1,";
        w.out() += "2,";
        w.out() += "3,";
        expected += "1,2,3,";
      }
      w.number(int64_t(i) * 1000003);
      expected += std::to_string(int64_t(i) * 1000003);
      size_t spaces = i % 50 == 0 ? 5000 : size_t(i) * 3;  // some past the buffer's size
      w.literal(std::string(spaces, ' '));
      expected += std::string(spaces, ' ');
    }
    w.literal("]");
    expected += "]";
  }
  return expected;
}

TEST(JsonWriter, GathersPiecesInOrderWhateverTheirSize) {
  std::string out = "[";
  EXPECT_EQ(out, write_pieces(out));
}

// Over a TextBuffer the same pieces are written in place, the buffer growing
// under the writer (it starts empty but for the bracket).
TEST(JsonWriter, WritesInPlaceTheSameText) {
  TextBuffer out;
  out += '[';
  std::string expected = write_pieces(out);
  EXPECT_EQ(out.view(), expected);
  out.clear();
  EXPECT_TRUE(out.empty());
  out += std::string_view("x");
  { JsonWriter w(out); }  // nothing written: nothing added
  EXPECT_EQ(out.view(), "x");
}

TEST(Json, DoublesAreCompact) {
  EXPECT_EQ(Json(2.0).dump(), "2");
  EXPECT_EQ(Json(0.5).dump(), "0.5");
  EXPECT_EQ(Json(1.23456).dump(), "1.23456");
  EXPECT_EQ(Json(377 / 1000.0).dump(), "0.377");  // milliseconds from microseconds
  EXPECT_EQ(Json(1e300).dump(), "1e+300");        // a fuzzer's AMQP double overflowed "%.3f"
  EXPECT_EQ(Json(-2.5e-7).dump(), "-2.5e-07");
}

// A whole double past 64-bit integers written as 21 digits is refused by JSON
// parsers (an AMQP float in a fuzzed header table made such an entry unreadable).
TEST(Json, HugeWholeDoublesReadBack) {
  EXPECT_EQ(Json(-119128452083111428096.0).dump(), "-1.1912845208311143e+20");
  EXPECT_EQ(Json(1e18).dump(), "1e+18");
  EXPECT_EQ(Json(999999999999999872.0).dump(), "999999999999999872");  // an int64
  for (double d : {-1.1912845208311143e+20, 3.4028234663852886e+38, 1.8446744073709552e19}) {
    Json parsed;
    ASSERT_TRUE(parse_json(Json(d).dump(), parsed)) << Json(d).dump();
  }
}

// Whole thousandths take a direct path; it must print what std::to_chars prints.
TEST(Json, ThousandthsMatchTheShortestForm) {
  auto shortest = [](double d) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, end);
  };
  auto check = [&](int64_t k) {
    double d = double(k) / 1000;
    std::string out;
    write_json_number(out, d);
    ASSERT_EQ(out, shortest(d)) << k;
  };
  for (int64_t k = -2000000; k <= 2000000; ++k) check(k);
  uint64_t seed = 99;
  for (int i = 0; i < 2000000; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    check(int64_t(seed >> 20) % 100000000);
  }
  std::string out;
  write_json_number(out, -0.0);
  EXPECT_EQ(out, "-0");
}

// Integers take a hand-written path; it must print what std::to_string prints.
TEST(Json, IntegersMatchToString) {
  auto check = [](int64_t n) {
    std::string out;
    write_json_number(out, n);
    ASSERT_EQ(out, std::to_string(n));
  };
  check(0);
  check(INT64_MIN);
  check(INT64_MAX);
  for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10)
    for (int64_t n : {p - 1, p, p + 1, -p, -p + 1, -p - 1, 9 * p, 9 * p + p - 1}) check(n);
  uint64_t seed = 7;
  for (int i = 0; i < 1000000; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    check(int64_t(seed) >> (seed % 63));
  }
}

TEST(Json, ReportsInvalidUtf8WhenAsked) {
  std::string out;
  bool invalid = false;
  write_json_string(out, "h\xc3\xa9 plain text longer than sixteen bytes", &invalid);
  EXPECT_FALSE(invalid);
  write_json_string(out, std::string(40, 'a') + "\xff", &invalid);
  EXPECT_TRUE(invalid);
}

// Raw JSON text is written as is, and expand_raw() parses it where it sits.
TEST(Json, RawTextIsWrittenAsIsAndExpands) {
  Json j = Json::object();
  j.set("command", "SET");
  j.set("args", Json::raw(R"(["k",{"base64":"/w=="},1.5])"));
  EXPECT_EQ(j.dump(), R"({"command":"SET","args":["k",{"base64":"/w=="},1.5]})");
  EXPECT_TRUE(j.find("args")->is_raw());
  expand_raw(j);
  ASSERT_TRUE(j.find("args")->is_array());
  EXPECT_EQ(j.find("args")->items()[0].str(), "k");
  EXPECT_EQ(j.dump(), R"({"command":"SET","args":["k",{"base64":"/w=="},1.5]})");
}

TEST(Json, IndexOperatorFindsOrAppends) {
  Json j = Json::object();
  j["x"] = 1;
  j["x"] = 2;
  EXPECT_EQ(j.dump(), R"({"x":2})");
  EXPECT_EQ(j.find("x")->integer(), 2);
  EXPECT_EQ(j.find("y"), nullptr);
}

TEST(Entry, WritesEveryCommonField) {
  Entry e;
  e.id = 3;
  e.protocol = "http";
  e.version = "1.1";
  e.layer4 = "tcp";
  e.src = {"10.0.0.1", 1234};
  e.dst = {"::1", 80};
  e.timestamp_us = 1700000000123456;
  e.elapsed_ms = 1.5;
  e.request.set("method", "GET");
  e.response.emplace(Json::object()).set("status", 200);
  e.request_size = 10;
  e.response_size = 20;
  e.stream = "9";
  e.error = "gap in stream";
  std::string out;
  write_entry_json(out, e);
  EXPECT_EQ(out,
            R"({"id":"3","protocol":{"name":"http","abbr":"HTTP","version":"1.1","layer4":"tcp"},)"
            R"("src":{"ip":"10.0.0.1","port":1234},"dst":{"ip":"::1","port":80},)"
            R"("timestamp":1700000000123,"timestampUs":1700000000123456,"elapsedTime":1.5,)"
            R"("request":{"method":"GET"},"response":{"status":200},"requestSize":10,)"
            R"("responseSize":20,"stream":"9","tls":false,"error":"gap in stream"})");
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

// Every length up to 40 and every byte value at the first, middle and last
// place, against the definition: ASCII, no control character, no '"' or '\\'.
TEST(Json, PlainTextIsFoundByDefinitionAtEveryLength) {
  auto plain = [](std::string_view s) {
    for (char c : s)
      if (uint8_t(c) < 0x20 || uint8_t(c) >= 0x80 || c == '"' || c == '\\') return false;
    return true;
  };
  for (size_t n = 0; n <= 40; ++n) {
    std::string s(n, 'x');
    ASSERT_TRUE(is_plain_json_text(s)) << n;
    for (size_t at : {size_t(0), n / 2, n ? n - 1 : 0}) {
      if (at >= n) continue;
      for (int b = 0; b < 256; ++b) {
        s[at] = char(b);
        ASSERT_EQ(is_plain_json_text(s), plain(s))
            << "length " << n << " byte " << b << " at " << at;
        s[at] = 'x';
      }
    }
  }
}

}  // namespace
}  // namespace trawl
