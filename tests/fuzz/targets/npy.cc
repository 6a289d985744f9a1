// A stranger's .npy file: a matrix whose size matches its shape, or an
// Error(Exit::data); a matrix read writes back and reads back the same.
#include <cstdint>
#include <cstring>
#include <string>

#include "compute/npy.h"
#include "core/error.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grid::Matrix m;
  try {
    m = grid::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
    return 0;
  }
  size_t n = 1;
  for (size_t d : m.shape) n *= d;
  FUZZ_CHECK(n == m.data.size());
  const grid::Matrix again = grid::parse_npy(grid::npy_bytes(m), "again.npy");
  FUZZ_CHECK(again.shape == m.shape);
  FUZZ_CHECK(again.data.size() == m.data.size());
  if (!m.data.empty())
    FUZZ_CHECK(std::memcmp(again.data.data(), m.data.data(), m.data.size() * sizeof(float)) == 0);
  return 0;
}
