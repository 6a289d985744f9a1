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

}  // namespace
}  // namespace grid
