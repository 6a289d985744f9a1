#include "market/board_cursor.h"

#include <algorithm>
#include <cctype>

#include "core/crypto.h"
#include "core/error.h"

namespace grid {
namespace {

constexpr size_t kTagHex = 16;

std::string tag_of(const std::string& name) { return hex(sha256(name)).substr(0, kTagHex); }

bool is_tag(const std::string& t) {
  return t.size() == kTagHex &&
         std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

}  // namespace

BoardCursor BoardCursor::parse(const std::string& text, const std::string& flag) {
  auto bad = [&] { return Error(Exit::usage, flag + " " + text.substr(0, 80) + ": not a cursor grid-board printed (v1:TIME[:TAG,...])"); };
  if (text.compare(0, 3, "v1:") != 0) throw bad();
  BoardCursor c;
  std::string rest = text.substr(3);
  size_t colon = rest.find(':');
  std::string time = rest.substr(0, colon);
  if (time.empty() || time.size() > 18 || !std::all_of(time.begin(), time.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    throw bad();
  c.time_ = std::stoll(time);
  if (colon != std::string::npos) {
    // Every tag between the commas: none empty, so "v1:5:" and "v1:5:a,"
    // are no cursors text() prints.
    const std::string tags = rest.substr(colon + 1);
    for (size_t at = 0;;) {
      const size_t comma = tags.find(',', at);
      const std::string t = tags.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (!is_tag(t) || !c.seen_.insert(t).second) throw bad();
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  return c;
}

std::string BoardCursor::text() const {
  std::string out = "v1:" + std::to_string(std::max<int64_t>(time_, 0));
  char sep = ':';
  for (const std::string& t : seen_) {
    out += sep;
    out += t;
    sep = ',';
  }
  return out;
}

bool BoardCursor::is_new(const BoardEntry& e) const { return e.mtime >= time_ && !seen_.count(tag_of(e.name)); }

BoardCursor BoardCursor::next(const std::vector<BoardEntry>& entries) const {
  BoardCursor c;
  c.time_ = std::max<int64_t>(time_, 0);
  for (const BoardEntry& e : entries) c.time_ = std::max(c.time_, e.mtime - kBoardCursorLagS);
  for (const BoardEntry& e : entries)
    if (e.mtime >= c.time_) c.seen_.insert(tag_of(e.name));
  return c;
}

}  // namespace grid
