// NumPy .npy files (format versions 1.0, 2.0 and 3.0) to and from a
// float32 matrix. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace grid {

// A dense float32 array in C (row-major) order. data.size() is the
// product of shape (1 for shape {}).
struct Matrix {
  std::vector<size_t> shape;
  std::vector<float> data;

  // shape[0] (1 for a 0-d array).
  size_t rows() const { return shape.empty() ? 1 : shape[0]; }
  // The product of shape[1..] (1 for 0-d and 1-d arrays).
  size_t cols() const;
};

// Reads a .npy file. Accepted dtypes, all little-endian, C order:
//   '<f4' as is;
//   '<f8' rounded to the nearest float32 (a finite value beyond float32's
//     range is an error);
//   '|i1' '<i2' '<i4' '<i8' '|u1' '<u2' '<u4' '<u8' converted, and only
//     when float32 holds the value exactly (|v| <= 2^24 always does).
// Anything else is Error(Exit::data) naming `name` and what is wrong:
// a bad magic string or version, a malformed header, fortran_order True,
// big-endian or other dtypes, structured dtypes, or a data length that
// does not match the shape.
Matrix parse_npy(std::string_view bytes, const std::string& name);

// A version 1.0 .npy file, dtype '<f4', C order, header padded with spaces
// to a multiple of 64 bytes as numpy.save writes it (byte for byte).
// Error(Exit::internal) when data.size() does not match shape.
std::string npy_bytes(const Matrix& m);

}  // namespace grid
