#include "compute/csv_write.h"

#include <charconv>
#include <cmath>

namespace grid {

std::string csv_text(const Matrix& m) {
  const size_t rows = m.data.empty() ? 0 : m.rows(), cols = m.cols();
  std::string out;
  // About 10 characters a value; one allocation for most matrices.
  out.reserve(m.data.size() * 11);
  char buf[32];
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float v = m.data[r * cols + c];
      if (c) out += ',';
      if (std::isnan(v)) {
        out += "nan";
      } else {
        const auto res = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, res.ptr);
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace grid
