#include "seeded_matrix.h"

#include <cstring>

#include "merkle.h"
#include "philox.h"

namespace grid {

std::vector<float> seeded_rows(uint64_t seed, uint32_t stream, int row_begin, int row_end, int cols) {
  std::vector<float> out(static_cast<size_t>(row_end - row_begin) * cols);
  for (int r = row_begin; r < row_end; ++r)
    for (int c = 0; c < cols; ++c)
      out[static_cast<size_t>(r - row_begin) * cols + c] =
          philox_uniform_pm1(philox_word(seed, stream, static_cast<uint64_t>(r) * cols + c));
  return out;
}

std::vector<float> seeded_matrix(uint64_t seed, uint32_t stream, int rows, int cols) {
  return seeded_rows(seed, stream, 0, rows, cols);
}

std::vector<uint8_t> row_bytes(const float* row, int cols) {
  std::vector<uint8_t> out(static_cast<size_t>(cols) * 4);
  for (int c = 0; c < cols; ++c) {
    uint32_t bits;
    std::memcpy(&bits, &row[c], 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) bits = 0x7fc00000u;
    for (int b = 0; b < 4; ++b) out[static_cast<size_t>(c) * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return out;
}

Digest matrix_sha256(const float* m, int rows, int cols) {
  Sha256 h;
  for (int r = 0; r < rows; ++r) {
    auto bytes = row_bytes(m + static_cast<size_t>(r) * cols, cols);
    h.update(bytes.data(), bytes.size());
  }
  return h.final();
}

std::vector<Digest> row_leaf_hashes(const float* m, int rows, int cols) {
  std::vector<Digest> out;
  out.reserve(rows);
  for (int r = 0; r < rows; ++r) {
    auto bytes = row_bytes(m + static_cast<size_t>(r) * cols, cols);
    out.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  return out;
}

}  // namespace grid
