// The JSON Lines reader as every tool runs it: a stranger's bytes split
// into lines (LineReader) and each parsed (parse_json_text). Any bad line
// must be an Error(Exit::data) and nothing else; a line read must nest no
// deeper than kMaxJsonDepth and must print back. parse_json_text's
// simdjson path must agree with nlohmann's alone: the same value, typed
// alike, or the same error.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/jsonl.h"
#include "fuzz_check.h"

namespace {

size_t depth(const grid::json& v) {
  // Iterative: the depth bound is what is under test.
  size_t deepest = 0;
  std::vector<std::pair<const grid::json*, size_t>> todo{{&v, 1}};
  while (!todo.empty()) {
    auto [at, d] = todo.back();
    todo.pop_back();
    if (!at->is_structured()) continue;
    deepest = std::max(deepest, d);
    for (const auto& e : *at) todo.push_back({&e, d + 1});
  }
  return deepest;
}

// Equal values of equal types at every node; doubles bit for bit.
bool same_tree(const grid::json& a, const grid::json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  if (!a.is_structured()) return a == b;
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if ((a.is_object() && i.key() != j.key()) || !same_tree(*i, *j)) return false;
  return true;
}

// The outcome of the reference parse: the value, or the error's text.
std::string reference_error(const std::string& line, grid::json* value) {
  try {
    *value = grid::parse_json_text_nlohmann(line);
    return "";
  } catch (const grid::Error& e) {
    return std::to_string(static_cast<int>(e.code())) + " " + e.field() + " " + e.what();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = ::memfd_create("fuzz-jsonl", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, data, size) == static_cast<ssize_t>(size));
  ::lseek(fd, 0, SEEK_SET);
  grid::LineReader reader(fd, "fuzz");
  std::string line;
  size_t lines = 0;
  for (;;) {
    try {
      if (!reader.next(&line)) break;
      ++lines;
    } catch (const grid::Error& e) {
      FUZZ_CHECK(e.code() == grid::Exit::data);
      continue;
    }
    grid::json reference;
    const std::string reference_failed = reference_error(line, &reference);
    try {
      grid::json v = grid::parse_json_text(line);
      FUZZ_CHECK(reference_failed.empty());
      FUZZ_CHECK(same_tree(v, reference));
      FUZZ_CHECK(depth(v) <= grid::kMaxJsonDepth);
      (void)v.dump(-1, ' ', false, grid::json::error_handler_t::replace);
    } catch (const grid::Error& e) {
      FUZZ_CHECK(e.code() == grid::Exit::data);
      FUZZ_CHECK(std::to_string(static_cast<int>(e.code())) + " " + e.field() + " " + e.what() == reference_failed);
    }
  }
  FUZZ_CHECK(reader.line_number() == lines);
  ::close(fd);
  return 0;
}
