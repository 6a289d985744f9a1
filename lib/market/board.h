// grid-board (doc/design.md, "The board"): the market's messages on a
// server nobody needs to trust. Every message is signed and named by its
// id (market/board_names.h), so the board can delay or withhold messages,
// never forge or alter one: get checks each entry and skips, with one
// warning line, anything that is not what its name says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace grid {

class Tool;

// Largest message file read from or posted to the board: a result with
// its per-row leaves is tens of KiB; a file far larger is junk.
constexpr uint64_t kBoardMaxBytes = uint64_t{4} << 20;

struct BoardOptions {
  std::string url;
  std::vector<std::string> inputs;  // post: files or URLs; stdin when empty
  std::string kind;                 // get, watch: a kind or its folder
  std::string for_key, order, task, result;  // pick one place (board_names.h)
  std::string since;                // cursor text
  std::string cursor_file;          // read when it exists, rewritten after
  uint64_t max_bytes = kBoardMaxBytes;
  double interval_s = 10;           // watch: the first wait between polls
  int max_polls = 0;                // watch: 0 for no end
};

// Posts each message of opt.inputs; prints nothing on stdout.
int board_post(Tool& tool, const BoardOptions& opt);
// Writes the new, good messages of one kind to stdout.
int board_get(Tool& tool, const BoardOptions& opt);
// board_get over and over, waiting longer while nothing comes.
int board_watch(Tool& tool, const BoardOptions& opt);

}  // namespace grid
