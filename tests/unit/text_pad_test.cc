#include "core/text_pad.h"

#include <gtest/gtest.h>

namespace {

TEST(TextPad, PadsToTheWidthAndKeepsLongerTextWhole) {
  EXPECT_EQ(grid::pad_right("ab", 5), "ab   ");
  EXPECT_EQ(grid::pad_left("ab", 5), "   ab");
  EXPECT_EQ(grid::pad_right("abcdef", 3), "abcdef");
  EXPECT_EQ(grid::pad_left("abcdef", 3), "abcdef");
  EXPECT_EQ(grid::pad_right("", 2), "  ");
  EXPECT_EQ(grid::pad_left("abc", 3), "abc");
}

TEST(OneLine, LineBreaksAndControlsAreEscapedUtf8Kept) {
  EXPECT_EQ(grid::one_line("plain text, 100% ascii"), "plain text, 100% ascii");
  EXPECT_EQ(grid::one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(grid::one_line("f\n\x1b[31mred\x7f"), "f\\n\\u001b[31mred\\u007f");
  EXPECT_EQ(grid::one_line(std::string("nul\0here", 8)), "nul\\u0000here");
  // Valid UTF-8 of 2, 3 and 4 bytes stays; the C1 controls do not.
  EXPECT_EQ(grid::one_line("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(grid::one_line("csi\xc2\x9b" "2J"), "csi\\u009b2J");
  EXPECT_EQ(grid::one_line("nbsp\xc2\xa0"), "nbsp\xc2\xa0");
}

TEST(OneLine, BytesOutsideValidUtf8AreEscaped) {
  EXPECT_EQ(grid::one_line("\xff"), "\\xff");
  EXPECT_EQ(grid::one_line("\xc3"), "\\xc3");                  // cut short
  EXPECT_EQ(grid::one_line("\xc0\xaf"), "\\xc0\\xaf");        // overlong
  EXPECT_EQ(grid::one_line("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(grid::one_line("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(grid::one_line("\xe2\x82"), "\\xe2\\x82");
  // Every byte value: the result is one line of printable ASCII or valid UTF-8.
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string out = grid::one_line(all);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << static_cast<int>(c);
}

}  // namespace
