#include "base/text.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include "base/decompress.h"
#include "tests/support.h"

namespace trawl {
namespace {

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
}

// Every length from 0 to 40, and a difference at every position: the keys of
// texts of up to 16 bytes miss none (longer ones are compared whole too), and
// a text and its longer self never share a key.
TEST(Text, ShortTextKeyFindsEveryDifferenceInShortTexts) {
  std::string a = "2001:db8::1:10.244.13.200-abcdefghijklmno";
  for (size_t n = 0; n <= 40; ++n) {
    std::string x = a.substr(0, n), y = x;
    ShortTextKey k = short_text_key(x);
    EXPECT_EQ(k.decides(), n <= 16) << n;
    EXPECT_TRUE(k == short_text_key(y)) << n;
    EXPECT_FALSE(k == short_text_key(x + "z")) << n;
    std::string zeros = x + std::string(1, '\0');  // a zero byte is not nothing
    EXPECT_FALSE(k == short_text_key(zeros)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string z = x;
      z[i] ^= 1;
      if (n <= 16 || i < 8 || i >= n - 8) {
        EXPECT_FALSE(k == short_text_key(z)) << n << " at " << i;
      }
    }
  }
}

// Every byte value at every position of a word and of the tail: only 'A'..'Z' change.
TEST(Text, LowerAsciiInPlaceChangesOnlyCapitals) {
  for (int b = 0; b < 256; ++b) {
    for (size_t at = 0; at < 11; ++at) {
      std::string s(11, 'Q');
      s[at] = char(b);
      std::string want = s;
      for (char& c : want) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
      lower_ascii_in_place(s.data(), s.size());
      ASSERT_EQ(s, want) << "byte " << b << " at " << at;
    }
  }
}

TEST(Text, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(std::string("\0\xff", 2)), "AP8=");
}

TEST(Decompress, GzipZlibAndRawDeflate) {
  std::string text(5000, 'x');
  EXPECT_EQ(decompress(Codec::kGzip, testing::deflate_compress(text, 31), 1 << 20).data, text);
  EXPECT_EQ(decompress(Codec::kDeflate, testing::deflate_compress(text, 15), 1 << 20).data, text);
  EXPECT_EQ(decompress(Codec::kDeflate, testing::deflate_compress(text, -15), 1 << 20).data, text);
}

TEST(Decompress, CapsOutputAndFlagsIt) {
  std::string text(100000, 'y');
  Decompressed d = decompress(Codec::kGzip, testing::deflate_compress(text, 31), 1000);
  EXPECT_EQ(d.data.size(), 1000u);
  EXPECT_TRUE(d.truncated);
}

TEST(Decompress, CorruptInputIsReportedNotThrown) {
  Decompressed d = decompress(Codec::kGzip, "this is not gzip at all", 1000);
  EXPECT_FALSE(d.ok);
}

TEST(Decompress, CutInputYieldsWhatDecodes) {
  std::string text = "hello world, hello world, hello world";
  std::string z = testing::deflate_compress(text, 31);
  Decompressed d = decompress(Codec::kGzip, z.substr(0, z.size() - 8), 1000);  // no trailer
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.data, text);
}

TEST(Decompress, ContentEncodingNames) {
  EXPECT_EQ(codec_from_content_encoding("gzip"), Codec::kGzip);
  EXPECT_EQ(codec_from_content_encoding("X-GZIP"), Codec::kGzip);
  EXPECT_EQ(codec_from_content_encoding(" br "), Codec::kBrotli);
  EXPECT_EQ(codec_from_content_encoding("deflate"), Codec::kDeflate);
  EXPECT_EQ(codec_from_content_encoding(""), Codec::kIdentity);
  EXPECT_EQ(codec_from_content_encoding("zstd"), Codec::kZstd);
  EXPECT_EQ(codec_from_content_encoding("compress"), Codec::kUnknown);
}

TEST(Decompress, ZstdWithCap) {
  std::string text(100000, 'z');
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
  Decompressed whole = decompress(Codec::kZstd, packed, 1 << 20);
  EXPECT_TRUE(whole.ok);
  EXPECT_EQ(whole.data, text);
  Decompressed capped = decompress(Codec::kZstd, packed, 1000);
  EXPECT_TRUE(capped.truncated);
  EXPECT_EQ(capped.data.size(), 1000u);
  EXPECT_FALSE(decompress(Codec::kZstd, "not zstd at all", 1000).ok);
}

}  // namespace
}  // namespace trawl
