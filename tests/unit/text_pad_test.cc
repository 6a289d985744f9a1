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

}  // namespace
