// Where lease-bid's messages go: stdout, and optionally a --publish URL
// (doc/design.md, "Storage and network"). (They come in through Tool::each_message, which
// reads files, stdin and URLs.)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

// Messages written to stdout as they come, and kept to be PUT to `url` as
// one JSON Lines body by finish() when a URL is given.
class LeaseOutput {
 public:
  // Exit::usage for a URL publish() cannot use, before any work.
  explicit LeaseOutput(std::string publish_url);
  void write(const json& message);
  // A message already dumped to one line, ending in "\n".
  void write_line(const std::string& line);
  void finish();
  size_t count() const { return count_; }

 private:
  std::string url_;
  std::string body_;
  size_t count_ = 0;
};

}  // namespace grid
