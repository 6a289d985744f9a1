// Where lease-bid's messages come from and go to: files, stdin or URLs in
// (DESIGN.md section 6), stdout and optionally a --publish URL out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tool.h"

namespace grid {

// Like Tool::each_message, but an input that is an http(s):// or file://
// URL is fetched through lib/net first (a missing one is Exit::no_input,
// an unreachable one Exit::temp_fail).
void each_lease_input(Tool& tool, const std::vector<std::string>& inputs,
                      const std::function<void(json& message, const Position& at)>& fn);

// Messages written to stdout as they come, and kept to be PUT to `url` as
// one JSON Lines body by finish() when a URL is given.
class LeaseOutput {
 public:
  explicit LeaseOutput(std::string publish_url) : url_(std::move(publish_url)) {}
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
