#include "core/jsonl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <type_traits>

#include "core/error.h"
#include "temp_dir.h"

namespace grid {
namespace {

// Feeds `text` to a LineReader through a pipe, in a thread so that
// inputs larger than the pipe buffer do not block.
std::vector<std::string> read_lines(const std::string& text, std::vector<size_t>* bad_lines = nullptr) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = write(fds[1], text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  LineReader reader(fds[0], "-");
  std::vector<std::string> lines;
  std::string line;
  for (;;) {
    try {
      if (!reader.next(&line)) break;
      lines.push_back(line);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::data);
      if (bad_lines) bad_lines->push_back(e.line());
    }
  }
  writer.join();
  close(fds[0]);
  return lines;
}

TEST(LineReader, SplitsOnLfAndKeepsLastUnterminatedLine) {
  auto lines = read_lines("a\n\nb c\r\nlast");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "b c\r");
  EXPECT_EQ(lines[3], "last");
  EXPECT_TRUE(read_lines("").empty());
}

TEST(LineReader, LinesSpanningManyReadsArriveWhole) {
  std::string big(5 << 20, 'x');
  auto lines = read_lines("{}\n" + big + "\n{}\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], big);
}

TEST(LineReader, OverlongLineIsSkippedAndCounted) {
  std::string huge(kMaxLineBytes + 10, 'y');
  std::vector<size_t> bad;
  auto lines = read_lines("first\n" + huge + "\nthird\n", &bad);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], 2u);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "third");
}

TEST(LineReader, ExactlyTheCapIsAccepted) {
  std::string edge(kMaxLineBytes, 'z');
  std::vector<size_t> bad;
  auto lines = read_lines(edge + "\n", &bad);
  EXPECT_TRUE(bad.empty());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), kMaxLineBytes);
}

TEST(ParseJsonText, ReportsMalformedInputAsData) {
  try {
    parse_json_text("{\"a\":");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos);
  }
  EXPECT_THROW(parse_json_text("{\"a\":\"\xff\"}"), Error);  // not UTF-8
}

// A copy would close the descriptor and free the line reader twice.
static_assert(!std::is_copy_constructible_v<MessageReader>, "MessageReader owns its input");
static_assert(!std::is_copy_assignable_v<MessageReader>, "MessageReader owns its input");

class MessageReaderTest : public TempDirTest {};

TEST_F(MessageReaderTest, ReadsEachFileInTurn) {
  const std::string a = dir_ + "/a.jsonl", b = dir_ + "/b.jsonl";
  std::ofstream(a) << "{\"n\":1}\n\n{\"n\":2}\n";
  std::ofstream(b) << "{\"n\":3}";
  MessageReader reader({a, b});
  std::vector<int> got;
  for (json m; reader.next(&m);) got.push_back(m["n"].get<int>());
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

Error parse_error(const std::string& text) {
  try {
    parse_json_text(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text.substr(0, 80);
  return Error(Exit::ok, "");
}

TEST_F(MessageReaderTest, AScriptGivenAsMessagesIsToldToBeRun) {
  const std::string a = dir_ + "/job.sh";
  std::ofstream(a) << "#!/bin/sh\njq -cn '{kind: \"job\"}'\n";
  MessageReader reader({a});
  json m;
  try {
    reader.next(&m);
    FAIL() << "a script was read as a message";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_EQ(e.line(), 1u);
    EXPECT_NE(std::string(e.what()).find("as a script does: run the script and give what it prints"),
              std::string::npos)
        << e.what();
  }
  // Not a prefix of any JSON text, and only at a line's start.
  EXPECT_EQ(parse_json_line("{\"a\":\"#!\"}")["a"], "#!");
}

TEST(ParseJsonText, RefusesNestingPastTheLimit) {
  auto nested = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_NO_THROW(parse_json_text(nested(kMaxJsonDepth)));
  for (size_t n : {kMaxJsonDepth + 1, size_t{40000}}) {
    Error e = parse_error(nested(n));
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_NE(std::string(e.what()).find("nested more than 64 deep"), std::string::npos) << e.what();
  }
  std::string objects;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) objects += "{\"k\":";
  EXPECT_EQ(parse_error(objects + "[1]" + std::string(kMaxJsonDepth, '}')).field().size(), 2 * kMaxJsonDepth);
  // Brackets inside strings are text, not nesting.
  EXPECT_NO_THROW(parse_json_text("{\"a\":\"" + nested(1000) + "\\\"[\"}"));
}

TEST(ParseJsonText, RefusesARepeatedMemberName) {
  Error e = parse_error(R"({"amount":999999,"kind":"pay","amount":2})");
  EXPECT_EQ(e.code(), Exit::data);
  EXPECT_EQ(e.field(), ".amount");
  EXPECT_EQ(parse_error(R"({"a":[0,{"b":{},"b":1}]})").field(), ".a[1].b");
  // The same name in different objects is fine; so is "\u0061" beside "b".
  EXPECT_EQ(parse_json_text(R"({"a":{"a":1},"b":[{"a":2},{"a":3}],"\u0062b":4})").size(), 3u);
  EXPECT_EQ(parse_error(R"({"a":1,"\u0061":2})").field(), ".a");
}

TEST(ParseJsonText, RefusesNumbersBeyondDoubleRange) {
  for (const char* text : {"[1e400]", "{\"a\":-1e400}", "1.5e309"}) {
    Error e = parse_error(text);
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_NE(std::string(e.what()).find("is beyond the range of a double"), std::string::npos) << e.what();
  }
  // Where the number stands is named, as for every other error in a message.
  EXPECT_EQ(parse_error("[1e400]").field(), "[0]");
  EXPECT_EQ(parse_error("{\"a\":-1e400}").field(), ".a");
  EXPECT_EQ(parse_error(R"({"kind":"x","a":{"b":[1,2,1e400]}})").field(), ".a.b[2]");
  EXPECT_EQ(parse_error("1.5e309").field(), "");
  EXPECT_EQ(parse_json_text("1e-400"), 0.0);
  EXPECT_EQ(parse_json_text("1.7976931348623157e308"), 1.7976931348623157e308);
}

TEST(ParseJsonText, BuildsWhatJsonParseBuilds) {
  const std::string text =
      R"({"z":[1,-2,3.5,"s\u00e9",true,false,null,{},[]],"a":{"b":{"c":18446744073709551615}},"e":-9223372036854775808})";
  const json got = parse_json_text(text);
  EXPECT_EQ(got, json::parse(text));
  EXPECT_EQ(got.dump(), json::parse(text).dump());
  EXPECT_TRUE(got["a"]["b"]["c"].is_number_unsigned());
  EXPECT_TRUE(got["e"].is_number_integer());
  // JSON_DIAGNOSTICS: errors name the path, so every value knows its parent.
  try {
    (void)got["a"]["b"]["c"].get<std::string>();
    FAIL();
  } catch (const json::type_error& e) {
    EXPECT_NE(std::string(e.what()).find("(/a/b/c)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace grid
