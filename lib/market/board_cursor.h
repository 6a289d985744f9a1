// Where grid-board get left off (doc/design.md, "The board"): a time
// and the entries already seen from that time on. Times are the server's
// (file mtime, Last-Modified), never this machine's clock.
//
// An entry is new when its time is at or after the cursor's and it is not
// among those seen. The next cursor's time trails the newest entry seen by
// kBoardCursorLagS, because an entry can appear later than its time says
// (nginx's MOVE keeps the time of the PUT before it; S3 listings may lag
// behind writes); the entries inside that window are remembered by a
// 64-bit tag of their names.
//
// Text form: "v1:TIME" or "v1:TIME:TAG,TAG,...", TIME in seconds since
// the epoch and each TAG 16 hex digits.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "market/board_store.h"

namespace grid {

constexpr int64_t kBoardCursorLagS = 300;

class BoardCursor {
 public:
  // The start: every entry is new.
  BoardCursor() = default;
  // Parses the text form; Exit::usage naming `flag` when malformed.
  static BoardCursor parse(const std::string& text, const std::string& flag);
  std::string text() const;

  bool is_new(const BoardEntry& e) const;
  // The cursor after a listing of `entries` (all of them, new or not).
  BoardCursor next(const std::vector<BoardEntry>& entries) const;

 private:
  int64_t time_ = INT64_MIN;
  std::set<std::string> seen_;
};

}  // namespace grid
