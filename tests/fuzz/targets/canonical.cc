// RFC 8785 canonicalization, differentially: whatever the reader accepts
// and canonical_json prints must parse back to an equal value and print
// the same bytes again (canonical form is a fixed point).
#include <cstdint>
#include <string>

#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grid::json v;
  std::string once;
  try {
    v = grid::parse_json_text(std::string(reinterpret_cast<const char*>(data), size));
    once = grid::canonical_json(v);
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
    return 0;
  }
  grid::json back;
  std::string twice;
  try {
    back = grid::parse_json_text(once);
    twice = grid::canonical_json(back);
  } catch (const grid::Error& e) {
    std::fprintf(stderr, "canonical form %s refused: %s\n", once.substr(0, 200).c_str(), e.what());
    FUZZ_CHECK(!"canonical form is accepted");
  }
  FUZZ_CHECK(back == v);
  FUZZ_CHECK(twice == once);
  if (v.is_object()) FUZZ_CHECK(grid::canonical_json_without(v, {}) == once);
  return 0;
}
