#include "compute/csv_matrix.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <random>

#include "core/error.h"

namespace grid {
namespace {

Error csv_error(const std::string& text) {
  try {
    parse_csv_matrix(text, "in.csv");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return Error(Exit::ok, "");
}

TEST(CsvMatrix, ReadsRowsOfNumbers) {
  Matrix m = parse_csv_matrix("1,2,3\n4.5,-6e-1, +7\n", "in.csv");
  EXPECT_EQ(m.shape, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(m.data, (std::vector<float>{1, 2, 3, 4.5f, -0.6f, 7}));
}

TEST(CsvMatrix, DetectsAHeaderLine) {
  std::vector<std::string> header;
  Matrix m = parse_csv_matrix("x, y ,label\n0.25,1,0\n", "in.csv", &header);
  EXPECT_EQ(header, (std::vector<std::string>{"x", "y", "label"}));
  EXPECT_EQ(m.shape, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(m.data, (std::vector<float>{0.25f, 1, 0}));
  header.clear();
  parse_csv_matrix("1,2\n", "in.csv", &header);
  EXPECT_TRUE(header.empty());
}

TEST(CsvMatrix, HandlesCrLfBomBlankLinesAndNoFinalNewline) {
  Matrix m = parse_csv_matrix("\xEF\xBB\xBFh1,h2\r\n\r\n1,2\r\n\n3,4", "in.csv");
  EXPECT_EQ(m.shape, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(m.data, (std::vector<float>{1, 2, 3, 4}));
}

TEST(CsvMatrix, RoundsToNearestFloat32AndFlushesTinyValuesToZero) {
  Matrix m = parse_csv_matrix("0.1,16777217,3.4028234e38,1e-50,-1e-50,1e-40\n", "in.csv");
  EXPECT_EQ(m.data[0], 0.1f);
  EXPECT_EQ(m.data[1], 16777216.0f);  // ties to even
  EXPECT_EQ(m.data[2], 3.4028234e38f);
  EXPECT_EQ(m.data[3], 0.0f);
  EXPECT_FALSE(std::signbit(m.data[3]));
  EXPECT_TRUE(std::signbit(m.data[4]));
  EXPECT_EQ(m.data[5], 1e-40f);
  // Below double's range too.
  m = parse_csv_matrix("1e-400,-1e-400,0.0000001e-99999999999999999999\n", "in.csv");
  EXPECT_EQ(m.data[0], 0.0f);
  EXPECT_FALSE(std::signbit(m.data[0]));
  EXPECT_TRUE(std::signbit(m.data[1]));
  EXPECT_EQ(m.data[2], 0.0f);
}

TEST(CsvMatrix, IgnoresTheLocale) {
  // A locale with a decimal comma must not change how "1.5" reads.
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  std::string saved = old ? old : "C";
  if (!std::setlocale(LC_NUMERIC, "de_DE.UTF-8")) GTEST_SKIP() << "de_DE.UTF-8 locale not installed";
  Matrix m = parse_csv_matrix("1.5,2\n", "in.csv");
  std::setlocale(LC_NUMERIC, saved.c_str());
  EXPECT_EQ(m.data, (std::vector<float>{1.5f, 2}));
}

TEST(CsvMatrix, MatchesRandomValuesPrintedExactly) {
  unsigned seed = 7;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1e6f, 1e6f);
  std::string text;
  std::vector<float> want;
  for (int r = 0; r < 20; ++r) {
    for (int c = 0; c < 5; ++c) {
      float v = dist(rng);
      want.push_back(v);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.9g", v);  // 9 digits: round-trips float32
      text += (c ? "," : "") + std::string(buf);
    }
    text += "\n";
  }
  Matrix m = parse_csv_matrix(text, "random.csv");
  EXPECT_EQ(m.shape, (std::vector<size_t>{20, 5}));
  EXPECT_EQ(m.data, want) << "seed " << seed;
}

TEST(CsvMatrix, NamesLineAndColumnOfBadFields) {
  struct Case {
    std::string text;
    const char* says;
  } cases[] = {
      {"1,2\n3,abc\n", "in.csv line 2, column 2: 'abc' is not a number"},
      {"1,2\n3,\n", "in.csv line 2, column 2: empty field"},
      {"1,2\n\n3,4,5\n", "in.csv line 3: has 3 fields, line 1 has 2"},
      {"a,b\n1\n", "in.csv line 2: has 1 field, line 1 has 2"},
      {"1,2\n\"3\",4\n", "in.csv line 2, column 1: quoted fields are not supported"},
      {"\"a\",\"b\"\n1,2\n", "in.csv line 1, column 1: quoted fields are not supported"},
      {"1,2\n3,\"4\"\n", "in.csv line 2, column 2: quoted fields"},
      {"1,nan\n", "in.csv line 1, column 2: 'nan' is not a finite number"},
      {"1,2\n-inf,2\n", "line 2, column 1: '-inf' is not a finite number"},
      {"1e39,2\n", "line 1, column 1: '1e39' is beyond float32's range"},
      // Beyond double's range too: no parse into a double can tell 1e400 from 1e-400.
      {"1,2\n3,1e400\n", "line 2, column 2: '1e400' is beyond float32's range"},
      {"1,2\n-1e400,3\n", "line 2, column 1: '-1e400' is beyond float32's range"},
      {"1,2\n+0.00012e+99999999999999999999,3\n", "line 2, column 1: '+0.00012e+99999999999999999999' is beyond"},
      {"1,2\n3,4e38\n", "line 2, column 2: '4e38' is beyond float32's range"},
      {"1,2\n0x10,2\n", "line 2, column 1: '0x10' is not a number"},
      {"1,2\n1 2,3\n", "line 2, column 1: '1 2' is not a number"},
      {"1,2\n++1,3\n", "line 2, column 1: '++1' is not a number"},
      {"1,2\n1,2,\n", "has 3 fields"},
      {"", "in.csv has no rows of numbers"},
      {"x,y\n\n", "in.csv has no rows of numbers"},
  };
  for (const auto& c : cases) {
    Error e = csv_error(c.text);
    EXPECT_EQ(e.code(), Exit::data) << c.text;
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << "want '" << c.says << "', got: " << e.what();
  }
}

TEST(CsvMatrix, AFirstLineWithOnlyAnEmptyFieldIsNotAHeader) {
  // "1,,3" has no text field: it is data, and its empty field an error.
  Error e = csv_error("1,,3\n4,5,6\n");
  EXPECT_NE(std::string(e.what()).find("line 1, column 2: empty field"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace grid
