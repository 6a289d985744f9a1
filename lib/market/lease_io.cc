#include "market/lease_io.h"

#include "core/error.h"
#include "core/jsonl.h"
#include "core/net.h"

namespace grid {

LeaseOutput::LeaseOutput(std::string publish_url) : url_(std::move(publish_url)) {
  if (!url_.empty()) check_url_flag("--publish", url_);
}

void LeaseOutput::write(const json& message) {
  write_message(message);
  ++count_;
  if (!url_.empty()) body_ += message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void LeaseOutput::write_line(const std::string& line) {
  write_stdout(line);
  ++count_;
  if (!url_.empty()) body_ += line;
}

void LeaseOutput::finish() {
  if (!url_.empty()) publish(url_, body_);
}

}  // namespace grid
