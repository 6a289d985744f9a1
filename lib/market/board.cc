#include "market/board.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "core/jsonl.h"
#include "core/message.h"
#include "core/net.h"
#include "core/s3_url.h"
#include "core/tool.h"
#include "market/board_cursor.h"
#include "market/board_names.h"
#include "market/board_store.h"

namespace grid {
namespace {

// watch: the wait doubles while polls bring nothing, up to this many
// times --interval, so an idle board is asked less often.
constexpr int kWatchMaxBackoff = 16;

// Its retries are the process's default, which --retries sets.
FetchOptions fetch_options(Tool& tool) {
  FetchOptions o;
  o.on_retry = [&tool](const std::string& text) { tool.note(text); };
  return o;
}

std::unique_ptr<BoardStore> open_board(Tool& tool, const BoardOptions& opt) {
  return open_board_store(opt.url, fetch_options(tool));
}

// The folder get lists: the kind's, or one place in it.
std::string get_folder(const BoardKind& row, const BoardOptions& opt) {
  std::string folder = std::string(row.folder) + "/";
  const std::pair<const char*, const std::string*> picks[] = {
      {"--for", &opt.for_key}, {"--order", &opt.order}, {"--task", &opt.task}, {"--result", &opt.result}};
  for (const auto& [flag, value] : picks) {
    if (value->empty()) continue;
    if (std::string(flag) != row.place_flag)
      throw Error(Exit::usage, std::string(flag) + " does not apply to " + row.folder +
                                   (row.place_flag[0] ? std::string(" (it takes ") + row.place_flag + ")" : ""));
    std::string hex = board_ref_hex(*value);
    if (hex.empty()) throw Error(Exit::usage, std::string(flag) + " " + *value + ": not sha256:<hex> or ed25519:<hex>");
    folder += hex + "/";
  }
  return folder;
}

BoardCursor start_cursor(const BoardOptions& opt) {
  if (!opt.since.empty()) return BoardCursor::parse(opt.since, "--since");
  if (!opt.cursor_file.empty()) {
    std::string text;
    try {
      text = read_file(opt.cursor_file, 1 << 26);
    } catch (const Error& e) {
      if (e.code() == Exit::no_input) return BoardCursor();  // the first run
      throw;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return BoardCursor::parse(text, "--cursor-file " + opt.cursor_file + ":");
  }
  return BoardCursor();
}

void save_cursor(Tool& tool, const BoardOptions& opt, const BoardCursor& c) {
  if (opt.cursor_file.empty()) {
    tool.note("cursor " + c.text());
  } else {
    write_file_atomic(opt.cursor_file, c.text() + "\n", 0644);
  }
}

// One pass: the new entries of `folder`, checked, the good ones to stdout.
BoardCursor get_once(Tool& tool, BoardStore& store, const std::string& folder, const BoardCursor& cursor,
                     uint64_t max_bytes, size_t* written) {
  std::vector<BoardEntry> entries = store.list(folder);
  std::sort(entries.begin(), entries.end(), [](const BoardEntry& a, const BoardEntry& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.name < b.name;
  });
  for (const BoardEntry& e : entries) {
    if (!cursor.is_new(e)) continue;
    Status ok = Status::Ok();
    json message;
    try {
      message = parse_json_text(store.read(e.name, max_bytes));
      ok = check_board_entry(e.name, message);
    } catch (const Error& err) {
      // A file too large, not JSON, or gone since the listing: skipped.
      if (err.code() != Exit::data && err.code() != Exit::no_input) throw;
      ok = Status::Fail(err.what());
    }
    if (!ok.ok()) {
      tool.note("warning: skipped " + e.name + ": " + ok.reason());
      continue;
    }
    write_message(message);
    ++*written;
  }
  return cursor.next(entries);
}

}  // namespace

std::unique_ptr<BoardStore> open_board_store(const std::string& url, const FetchOptions& options) {
  if (is_file_url(url)) return file_board_store(url);
  if (is_s3_url(url)) return s3_board_store(url, options);
  if (is_url(url)) return webdav_board_store(url, options);
  throw Error(Exit::usage, redact_url(url) + ": not a board URL (file://, http(s):// for WebDAV, s3://bucket/prefix)");
}

int board_post(Tool& tool, const BoardOptions& opt) {
  std::unique_ptr<BoardStore> store = open_board(tool, opt);
  size_t posted = 0, already = 0;
  tool.each_message(opt.inputs, [&](json& message, const Position&) {
    check_envelope(message);
    Status sig = check_signature(message);
    if (!sig.ok()) throw data_error("not posted: " + sig.reason());
    const std::string name = board_name(message);
    const std::string bytes = message.dump() + "\n";
    if (bytes.size() > opt.max_bytes)
      throw data_error("not posted: " + std::to_string(bytes.size()) + " bytes, over --max-bytes " +
                       std::to_string(opt.max_bytes));
    if (store->create(name, bytes)) {
      ++posted;
      return;
    }
    // The name is taken: by this very message (a repost), or by another.
    json there;
    try {
      there = parse_json_text(store->read(name, opt.max_bytes));
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
    }
    if (there != message) throw data_error("not posted: " + name + " holds another message, and is never replaced");
    ++already;
  });
  tool.note("posted " + std::to_string(posted) + ", " + std::to_string(already) + " already on the board");
  return 0;
}

int board_get(Tool& tool, const BoardOptions& opt) {
  BoardOptions once = opt;
  once.max_polls = 1;
  return board_watch(tool, once);
}

int board_watch(Tool& tool, const BoardOptions& opt) {
  const std::string folder = get_folder(board_kind(opt.kind), opt);
  BoardCursor cursor = start_cursor(opt);
  std::unique_ptr<BoardStore> store = open_board(tool, opt);
  int factor = 1;
  for (int poll = 1;; ++poll) {
    const bool last = poll == opt.max_polls;
    size_t written = 0;
    try {
      cursor = get_once(tool, *store, folder, cursor, opt.max_bytes, &written);
      if (!opt.cursor_file.empty()) save_cursor(tool, opt, cursor);
    } catch (const Error& e) {
      if (e.code() != Exit::temp_fail || last) throw;
      tool.note("warning: " + std::string(e.what()) + "; polling on");
    }
    if (last) break;
    if (written > 0) factor = 1;
    std::this_thread::sleep_for(std::chrono::duration<double>(opt.interval_s * factor));
    if (written == 0) factor = std::min(factor * 2, kWatchMaxBackoff);
  }
  if (opt.cursor_file.empty()) save_cursor(tool, opt, cursor);
  return 0;
}

}  // namespace grid
