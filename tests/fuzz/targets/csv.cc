// A stranger's CSV file: a finite float32 matrix of rows x columns, or an
// Error(Exit::data).
#include <cmath>
#include <cstdint>
#include <string>

#include "compute/csv_matrix.h"
#include "core/error.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grid::Matrix m;
  std::vector<std::string> header;
  try {
    m = grid::parse_csv_matrix(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv", &header);
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
    return 0;
  }
  FUZZ_CHECK(m.shape.size() == 2 && m.shape[0] * m.shape[1] == m.data.size());
  FUZZ_CHECK(header.empty() || header.size() == m.shape[1]);
  for (float v : m.data) FUZZ_CHECK(std::isfinite(v));
  return 0;
}
