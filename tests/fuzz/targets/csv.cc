// A stranger's CSV file: a finite float32 matrix of rows x columns, or a
// column of class labels, or an Error(Exit::data). The input's length
// picks the delimiter, so that every corpus file stays a whole CSV file.
#include <cmath>
#include <cstdint>
#include <string>

#include "compute/csv_matrix.h"
#include "core/error.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char delimiters[] = {',', ';', '\t', '|'};
  const char delimiter = delimiters[size % 4];
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  grid::Matrix m;
  std::vector<std::string> header;
  try {
    m = grid::parse_csv_matrix(text, "fuzz.csv", &header, delimiter);
    FUZZ_CHECK(m.shape.size() == 2 && m.shape[0] * m.shape[1] == m.data.size());
    FUZZ_CHECK(header.empty() || header.size() == m.shape[1]);
    for (float v : m.data) FUZZ_CHECK(std::isfinite(v));
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
  }
  const size_t rows = size / 4 % 8;
  try {
    grid::CsvLabels l = grid::parse_csv_labels(text, "fuzz.csv", rows, delimiter);
    if (l.names.empty()) {
      FUZZ_CHECK(l.classes.empty() && !l.numbers.data.empty());
    } else {
      FUZZ_CHECK(l.classes.size() == rows);
      for (int32_t c : l.classes) FUZZ_CHECK(c >= 0 && static_cast<size_t>(c) < l.names.size());
      for (const std::string& n : l.names) FUZZ_CHECK(!n.empty());
    }
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
  }
  return 0;
}
