// A float32 matrix as CSV text: the other direction of csv_matrix.h.
#pragma once

#include <string>

#include "compute/npy.h"

namespace grid {

// One line per row (LF), m.cols() comma-separated values each, no header:
// a 1-d array is one column, a 0-d array one value, and an array of more
// dimensions has its trailing ones flattened in C order. Each value is the
// shortest decimal that reads back as the same float32 (std::to_chars), so
// parse_csv_matrix and numpy.loadtxt(dtype=float32) give the same bits
// back; NaN and infinity are written nan, inf and -inf.
std::string csv_text(const Matrix& m);

}  // namespace grid
