#include "compute/csv_matrix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <random>
#include <string_view>

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
      {"1,2\n3,4\"5\n", "in.csv line 2, column 2: a quote inside an unquoted field: '4\"5'"},
      {"1,2\n\"3\"x,4\n", "in.csv line 2, column 1: text after the closing quote: 'x,4\\n'"},
      {"1,2\n3,\"4\n5,6\n", "in.csv line 2, column 2: a quoted field is not closed"},
      // A line end inside quotes is a line: later lines are counted on.
      {"\"a\nb\",c\n1,2\n3,x\n", "in.csv line 4, column 2: 'x' is not a number"},
      {"1,2\n3,\"4\r\n5\"\n", "in.csv line 2, column 2: '4\\r\\n5' is not a number"},
      {"\"a\nb\",c\n1,2\n3\n", "in.csv line 4: has 1 field, line 1 has 2"},
      {"1,2\n3,\"\"\n", "in.csv line 2, column 2: empty field"},
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

std::vector<std::vector<std::string>> records_of(std::string_view text, char delimiter = ',') {
  std::vector<std::vector<std::string>> out;
  for (CsvRecords r(text, "in.csv", delimiter); r.next();) out.emplace_back(r.fields().begin(), r.fields().end());
  return out;
}

TEST(CsvRecords, ReadsQuotedFieldsAsRfc4180Says) {
  using Rows = std::vector<std::vector<std::string>>;
  EXPECT_EQ(records_of("a,\"b,c\",\"d\"\"e\",\"f\r\ng\"\r\n\"\",h\r\n"),
            (Rows{{"a", "b,c", "d\"e", "f\r\ng"}, {"", "h"}}));
  // Spaces outside quotes go, inside they stay; a quoted empty field is a record.
  EXPECT_EQ(records_of(" \" x \" , y \n\"\"\n  \n"), (Rows{{" x ", "y"}, {""}}));
  // The last record may end at the end of the text, after a quote or a CR.
  EXPECT_EQ(records_of("1,\"2\""), (Rows{{"1", "2"}}));
  EXPECT_EQ(records_of("1,\"2\"\r"), (Rows{{"1", "2"}}));
  EXPECT_EQ(records_of("1,2\r"), (Rows{{"1", "2"}}));
  // Another delimiter: commas are then data; a tab delimiter is never padding.
  EXPECT_EQ(records_of("1,5;\"a;b\";c\r\n", ';'), (Rows{{"1,5", "a;b", "c"}}));
  EXPECT_EQ(records_of("1\t\t 2 \t\"\t\"\n", '\t'), (Rows{{"1", "", "2", "\t"}}));
}

TEST(CsvRecords, NamesTheLineWhereAFieldStarts) {
  CsvRecords r("\"a\nb\",\"c\n\nd\",e\nf\n", "in.csv");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 1u);
  EXPECT_NE(std::string(r.error(2, "x").what()).find("in.csv line 2, column 2: x"), std::string::npos);
  EXPECT_NE(std::string(r.error(3, "x").what()).find("in.csv line 4, column 3: x"), std::string::npos);
  EXPECT_NE(std::string(r.error(0, "x").what()).find("in.csv line 1: x"), std::string::npos);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 5u);
  EXPECT_FALSE(r.next());
}

// A field written as a CSV writer would: quoted when it must be (the
// delimiter, a quote, CR or LF, padding that would be dropped, or the only
// field of a record, empty), and at random when it need not be.
std::string written(const std::string& f, char delimiter, bool alone, std::mt19937& rng) {
  const bool must = f.find_first_of(std::string("\"\r\n") + delimiter) != std::string::npos ||
                    (!f.empty() && (f.front() == ' ' || f.front() == '\t' || f.back() == ' ' || f.back() == '\t')) ||
                    (alone && f.empty());
  if (!must && rng() % 3) return f;
  std::string q = "\"";
  for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

TEST(CsvRecords, ReadsBackRandomFieldsWithRandomQuoting) {
  const char alphabet[] = {'a', 'b', '1', '.', ' ', '\t', ',', ';', '|', '"', '\r', '\n', '\xc3', '\xa9'};
  const char delimiters[] = {',', ';', '\t', '|'};
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    const char delimiter = delimiters[rng() % 4];
    const bool crlf = rng() % 2;
    std::vector<std::vector<std::string>> want(1 + rng() % 6);
    std::string text = rng() % 4 ? "" : "\xEF\xBB\xBF";
    for (auto& row : want) {
      row.resize(1 + rng() % 5);
      for (size_t c = 0; c < row.size(); ++c) {
        for (size_t n = rng() % 7; n > 0; --n) row[c] += alphabet[rng() % sizeof alphabet];
        text += (c ? std::string(1, delimiter) : "") + written(row[c], delimiter, row.size() == 1, rng);
      }
      text += crlf ? "\r\n" : "\n";
    }
    if (rng() % 2) text.resize(text.size() - (crlf ? 2 : 1));  // no line end after the last record
    EXPECT_EQ(records_of(text, delimiter), want) << "seed " << seed << ", text: " << text;
  }
}

TEST(CsvMatrix, ReadsRandomNumbersQuotedOrNotWithAnyDelimiter) {
  const char delimiters[] = {',', ';', '\t', '|'};
  for (unsigned seed = 1; seed <= 50; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1e3f, 1e3f);
    const char delimiter = delimiters[rng() % 4];
    const size_t rows = 1 + rng() % 10, cols = 1 + rng() % 4;
    std::string text;
    std::vector<float> want;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        const float v = dist(rng);
        want.push_back(v);
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        text += (c ? std::string(1, delimiter) : "") + written(buf, delimiter, cols == 1, rng);
      }
      text += rng() % 2 ? "\r\n" : "\n";
    }
    Matrix m = parse_csv_matrix(text, "random.csv", nullptr, delimiter);
    EXPECT_EQ(m.shape, (std::vector<size_t>{rows, cols})) << "seed " << seed;
    EXPECT_EQ(m.data, want) << "seed " << seed;
  }
}

TEST(CsvMatrix, TakesAQuotedHeader) {
  std::vector<std::string> header;
  Matrix m = parse_csv_matrix("\"width; cm\";\"a \"\"b\"\"\"\r\n1.5;2\r\n", "in.csv", &header, ';');
  EXPECT_EQ(header, (std::vector<std::string>{"width; cm", "a \"b\""}));
  EXPECT_EQ(m.shape, (std::vector<size_t>{1, 2}));
}

TEST(CsvLabels, NumbersClassNamesInTheOrderTheyFirstAppear) {
  CsvLabels l = parse_csv_labels("dog\ncat\n\"dog\"\nbird\ncat\n", "y.csv", 5);
  EXPECT_EQ(l.names, (std::vector<std::string>{"dog", "cat", "bird"}));
  EXPECT_EQ(l.classes, (std::vector<int32_t>{0, 1, 0, 2, 1}));
  // One record more than rows: the first is a header, not a class.
  l = parse_csv_labels("species\r\n\"Iris, setosa\"\r\n2\r\nvirginica\r\n", "y.csv", 3);
  EXPECT_EQ(l.names, (std::vector<std::string>{"Iris, setosa", "2", "virginica"}));
  EXPECT_EQ(l.classes, (std::vector<int32_t>{0, 1, 2}));
}

TEST(CsvLabels, NumbersAreReadAsAnyCsvOfNumbers) {
  for (const char* text : {"label\n0\n2\n1\n", "0\n2\n1\n", "\"0\"\r\n2\r\n1"}) {
    CsvLabels l = parse_csv_labels(text, "y.csv", 3);
    EXPECT_TRUE(l.names.empty()) << text;
    EXPECT_TRUE(l.classes.empty()) << text;
    EXPECT_EQ(l.numbers.data, parse_csv_matrix(text, "y.csv").data) << text;
    EXPECT_EQ(l.numbers.data, (std::vector<float>{0, 2, 1})) << text;
  }
}

TEST(CsvLabels, RandomNamesGetTheSameClassesHoweverQuoted) {
  for (unsigned seed = 1; seed <= 50; ++seed) {
    std::mt19937 rng(seed);
    const std::vector<std::string> pool = {"cat", "dog", "a;b", "say \"hi\"", " pad ", "x\ny", "7"};
    const size_t rows = 1 + rng() % 30;
    std::vector<int32_t> want;
    std::vector<std::string> names;
    std::string text = rng() % 2 ? "label\n" : "";
    const bool header = !text.empty();
    for (size_t r = 0; r < rows; ++r) {
      const std::string& name = r == 0 ? pool[0] : pool[rng() % pool.size()];  // a name first
      auto at = std::find(names.begin(), names.end(), name);
      if (at == names.end()) at = names.insert(names.end(), name);
      want.push_back(static_cast<int32_t>(at - names.begin()));
      text += written(name, ';', true, rng) + (rng() % 2 ? "\r\n" : "\n");
    }
    CsvLabels l = parse_csv_labels(text, "y.csv", rows, ';');
    EXPECT_EQ(l.names, names) << "seed " << seed << (header ? ", with a header" : "");
    EXPECT_EQ(l.classes, want) << "seed " << seed;
  }
}

TEST(CsvLabels, RejectsWhatCannotBeOneNameARow) {
  struct Case {
    std::string text;
    size_t rows;
    const char* says;
  } cases[] = {
      {"cat\ndog\n", 3, "y.csv has 2 lines of class names, not 3 (one a row of x) or 4"},
      {"cat\ndog\ncat\ndog\n", 2, "y.csv has 4 lines of class names"},
      {"cat\ndog,cat\n", 2, "y.csv line 2: has 2 fields: class names are one a line"},
      {"cat\n\"\"\ndog\n", 3, "y.csv line 2, column 1: empty class name"},
      {"cat\n\"dog\n", 2, "y.csv line 2, column 1: a quoted field is not closed"},
      // Numbers are checked as numbers: no name hides a bad one.
      {"0\nnan\n", 2, "y.csv line 2, column 1: 'nan' is not a finite number"},
  };
  for (const auto& c : cases) {
    try {
      parse_csv_labels(c.text, "y.csv", c.rows);
      ADD_FAILURE() << "no error for: " << c.text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::data) << c.text;
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << "want '" << c.says << "', got: " << e.what();
    }
  }
}

}  // namespace
}  // namespace grid
