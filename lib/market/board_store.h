// Where grid-board keeps messages (doc/design.md, "The board"): a folder
// at a URL whose files are created once and never replaced, listed, and
// read. Three backends behind this one interface:
//   file:///path                 a local folder: link(2) of a fsynced temp
//                                file, which fails when the name is taken
//   http(s)://host/path/         WebDAV: PUT to tmp/<random>, then MOVE
//                                with "Overwrite: F" (412 when taken);
//                                listing by PROPFIND depth 1, or, where the
//                                server has no PROPFIND (nginx's own DAV
//                                module), GET of the folder as a JSON
//                                index (nginx: autoindex_format json)
//   s3://bucket/prefix           S3: PUT with "If-None-Match: *" (412 when
//                                taken); ListObjectsV2, page by page
// No backend ever shows a half-written file. Transient failures are
// retried (lib/core/net.h) and end in Exit::temp_fail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/net.h"

namespace grid {

struct BoardEntry {
  std::string name;   // below the board's root: "bids/<hex>/<hex>.json"
  int64_t mtime = 0;  // seconds since the epoch, by the server's clock
};

class BoardStore {
 public:
  virtual ~BoardStore() = default;
  // Makes `name` hold `bytes` unless it exists: true when made, false when
  // the name was taken (whatever it holds).
  virtual bool create(const std::string& name, const std::string& bytes) = 0;
  // Every file below `folder` ("bids/" or "bids/<hex>/"), at any depth; none
  // when the folder does not exist.
  virtual std::vector<BoardEntry> list(const std::string& folder) = 0;
  // The bytes of `name`: Exit::data past `max_bytes`, Exit::no_input when
  // it is gone.
  virtual std::string read(const std::string& name, uint64_t max_bytes) = 0;
};

// The backend for `url` by its scheme; Exit::usage for any other.
std::unique_ptr<BoardStore> open_board_store(const std::string& url, const FetchOptions& options);

// Backends, for open_board_store.
std::unique_ptr<BoardStore> file_board_store(const std::string& url);
std::unique_ptr<BoardStore> webdav_board_store(const std::string& url, const FetchOptions& options);
std::unique_ptr<BoardStore> s3_board_store(const std::string& url, const FetchOptions& options);

// Folder depth a listing goes down to: the board's layout is KIND/PLACE/FILE.
constexpr int kBoardMaxDepth = 3;

// Largest listing answer read (one PROPFIND, JSON index or ListObjectsV2
// page): tens of thousands of entries, and a bound on what a hostile
// server can make a reader hold.
constexpr uint64_t kBoardMaxListingBytes = uint64_t{64} << 20;

}  // namespace grid
