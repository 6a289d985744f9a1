#include "lease_io.h"

#include "error.h"
#include "jsonl.h"
#include "net.h"

namespace grid {

namespace {

void each_fetched(const std::string& url, const std::function<void(json&, const Position&)>& fn) {
  const std::string body = fetch_bytes(url, std::nullopt);
  Position at;
  at.source = redact_url(url);
  size_t begin = 0;
  while (begin < body.size()) {
    size_t end = body.find('\n', begin);
    if (end == std::string::npos) end = body.size();
    ++at.line;
    at.text = body.substr(begin, end - begin);
    begin = end + 1;
    if (at.text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      json m = parse_json_text(at.text);
      if (!m.is_object()) throw data_error("line is not a JSON object");
      fn(m, at);
    } catch (Error& e) {
      if (e.code() == Exit::data) e.at_line(at.line, at.source);
      throw;
    }
  }
}

}  // namespace

void each_lease_input(Tool& tool, const std::vector<std::string>& inputs,
                      const std::function<void(json&, const Position&)>& fn) {
  if (inputs.empty()) return tool.each_message({}, fn);
  std::vector<std::string> files;
  auto flush = [&] {
    if (!files.empty()) tool.each_message(files, fn);
    files.clear();
  };
  for (const std::string& in : inputs) {
    if (!is_url(in)) {
      files.push_back(in);
      continue;
    }
    flush();
    each_fetched(in, fn);
  }
  flush();
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
