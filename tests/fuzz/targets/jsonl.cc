// The JSON Lines reader as every tool runs it: a stranger's bytes split
// into lines (LineReader) and each parsed (parse_json_text). Any bad line
// must be an Error(Exit::data) and nothing else; a line read must nest no
// deeper than kMaxJsonDepth and must print back.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
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
      grid::json v = grid::parse_json_text(line);
      FUZZ_CHECK(depth(v) <= grid::kMaxJsonDepth);
      (void)v.dump(-1, ' ', false, grid::json::error_handler_t::replace);
    } catch (const grid::Error& e) {
      FUZZ_CHECK(e.code() == grid::Exit::data);
    }
  }
  FUZZ_CHECK(reader.line_number() == lines);
  ::close(fd);
  return 0;
}
