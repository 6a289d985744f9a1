// JSON Lines in and out (doc/design.md, "Messages"): line-numbered, capped at
// 64 MiB a line, and flushed line by line so pipelines flow.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/json_parse.h"

namespace grid {

// The longest input line we accept; larger ones are rejected, not read.
constexpr size_t kMaxLineBytes = size_t{64} << 20;

// Where a message came from, for error messages.
struct Position {
  std::string source;  // a path, or "-" for stdin
  size_t line = 0;
  std::string text;    // the line as read, for passing it on untouched
};

// Opens an input for reading (doc/design.md, "Storage and network"): "-" is stdin (fd 0,
// not to be closed); an http(s):// or file:// URL is fetched through
// lib/net (retries, Exit::temp_fail when they run out, Exit::no_input when
// it does not exist) into an anonymous in-memory file; anything else is a
// path (Exit::no_input when missing). *source names it for messages, with
// any password in a URL hidden.
int open_input(const std::string& path_or_url, std::string* source);

// Raw lines from a descriptor. The descriptor stays the caller's.
class LineReader {
 public:
  LineReader(int fd, std::string source);
  // Stores the next line (without its LF) and returns true, or returns
  // false at the end. A line over kMaxLineBytes is skipped whole and
  // reported as Exit::data, so a caller that carries on stays in step.
  bool next(std::string* line);
  size_t line_number() const { return line_; }
  const std::string& source() const { return source_; }

 private:
  bool fill();
  int fd_;
  std::string source_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  size_t line_ = 0;
};

// Messages from files given on the command line, one after another, or
// from stdin when there are none (or the name is "-").
class MessageReader {
 public:
  explicit MessageReader(std::vector<std::string> paths);
  ~MessageReader();
  // It owns the open descriptor: a copy would close it twice.
  MessageReader(const MessageReader&) = delete;
  MessageReader& operator=(const MessageReader&) = delete;
  // Parses the next non-blank line into *message and returns true, or
  // returns false when every input is done. Malformed JSON, a line that is
  // not an object, or an over-long line throw Error(Exit::data) that names
  // the line; the reader is then ready for the following line.
  bool next(json* message);
  // The same without parsing: the next non-blank line is position().text
  // (for a caller that parses elsewhere, e.g. on other threads).
  bool next_text();
  Position& position() { return pos_; }
  const Position& position() const { return pos_; }

 private:
  bool open_next();
  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  int fd_ = -1;
  std::optional<LineReader> reader_;  // over fd_, while an input is open
  Position pos_;
};

// Writes one message as a line to stdout and flushes it. Throws BrokenPipe
// when the reader has gone, Error(Exit::io) on other write failures.
void write_message(const json& message);
// Writes raw text to stdout with the same error handling.
void write_stdout(const std::string& text);

}  // namespace grid
