// Matrices drawn from a seed, and their hashes: what a challenge, a gemm
// task and their verifiers all regenerate and commit to identically.
#pragma once

#include <cstdint>
#include <vector>

#include "core/crypto.h"

namespace grid {

// Streams of the generator for the two operands of C = A * B.
constexpr uint32_t kStreamA = 1;
constexpr uint32_t kStreamB = 2;

// rows x cols row-major, entry (r, c) = philox_uniform_pm1(philox_word(
// seed, stream, r * cols + c)): any row block can be made on its own.
// Rows are made on `threads` threads (<= 0: every core); the bits do not
// depend on it.
std::vector<float> seeded_matrix(uint64_t seed, uint32_t stream, int rows, int cols, int threads = 0);
// Rows [row_begin, row_end) of the same matrix.
std::vector<float> seeded_rows(uint64_t seed, uint32_t stream, int row_begin, int row_end, int cols, int threads = 0);

// The bytes a matrix is hashed as: FP32 little-endian, row-major, every NaN
// as 0x7fc00000 (which NaN a device returns is not part of any contract).
std::vector<uint8_t> row_bytes(const float* row, int cols);

// SHA-256 of all rows' bytes, in order.
Digest matrix_sha256(const float* m, int rows, int cols);
// RFC 6962 leaf hashes, one per row.
std::vector<Digest> row_leaf_hashes(const float* m, int rows, int cols);

}  // namespace grid
