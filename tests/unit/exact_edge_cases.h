// Exact-GEMM inputs at the edges of the GPU kernel's tiles and grid, shared
// by the CPU test (tests/unit/exact_gemm_test.cc), which checks the answers
// the DEFINITION gives, and the GPU test (tests/gpu/exact_gemm_gpu_test.cc),
// which checks that the GPU gives the CPU's bits on the same inputs.
#ifndef GRID_TESTS_EXACT_EDGE_CASES_H
#define GRID_TESTS_EXACT_EDGE_CASES_H

#include <cfloat>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace grid {

struct GemmEdgeCase {
  std::string name;
  int m, n, k, lda, ldb;
  std::vector<float> A, B;  // m x lda and k x ldb
};

// K lengths around the GPU's K tile (8; 16 before it), two tiles (its two
// shared-memory buffers) and the CPU's K block (256): a padded K step, were
// one run, would show in a partial last tile.
const int kEdgeK[] = {1, 7, 8, 9, 15, 16, 17, 33, 257, 300};
// Rows and columns past the GPU's 128 x 128 tile, and not a multiple of its
// 4-float vectors, so edge tiles hold padded rows and a partial vector.
const int kEdgeM = 129, kEdgeN = 131;

// A = -FLT_TRUE_MIN, B = 0.5: every product is -2^-150, which rounds to -0,
// so every chain stays -0 and every C is -0. A padded step fma(0, 0, -0)
// would give +0.
inline GemmEdgeCase minus_zero_chain_case(int k) {
  GemmEdgeCase c{"-0 chain k=" + std::to_string(k), kEdgeM, kEdgeN, k, k, kEdgeN, {}, {}};
  c.A.assign(static_cast<std::size_t>(c.m) * c.lda, -FLT_TRUE_MIN);
  c.B.assign(static_cast<std::size_t>(c.k) * c.ldb, 0.5f);
  return c;
}

// A = B = 1 except: B's last row (p = k-1) is +Inf in column n-1 and NaN in
// column n-2, and A's last row is all +Inf, so C[m-1][j] = +Inf, C[i][n-1]
// = +Inf and C[i][n-2] = NaN; everything else is k. The leading dimensions
// are padded (lda = k+3, ldb = n+5) and the padding holds NaN and -Inf: a
// kernel that read it, or ran a padded K step, would change a finite C.
inline GemmEdgeCase inf_nan_beside_padding_case(int k) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  GemmEdgeCase c{"Inf/NaN beside padding k=" + std::to_string(k), kEdgeM, kEdgeN, k, k + 3, kEdgeN + 5, {}, {}};
  c.A.assign(static_cast<std::size_t>(c.m) * c.lda, 1.0f);
  c.B.assign(static_cast<std::size_t>(c.k) * c.ldb, 1.0f);
  for (int i = 0; i < c.m; ++i)
    for (int p = c.k; p < c.lda; ++p) c.A[static_cast<std::size_t>(i) * c.lda + p] = p % 2 ? nan : -inf;
  for (int p = 0; p < c.k; ++p)
    for (int j = c.n; j < c.ldb; ++j) c.B[static_cast<std::size_t>(p) * c.ldb + j] = j % 2 ? nan : -inf;
  for (int p = 0; p < c.k; ++p) c.A[static_cast<std::size_t>(c.m - 1) * c.lda + p] = inf;
  c.B[static_cast<std::size_t>(c.k - 1) * c.ldb + c.n - 1] = inf;
  c.B[static_cast<std::size_t>(c.k - 1) * c.ldb + c.n - 2] = nan;
  return c;
}

// One row tile more than a grid of 65535 x 64-row tiles holds (4 194 240
// rows), with tiny n and k: A's column is 1, 2, 3, ... (exact in FP32 up to
// 2^24), B = 1 (plus 0.5 when k = 2), so C[i][0] is known exactly.
const int kTallM = 65535 * 64 + 65;
inline GemmEdgeCase tall_case(int k) {
  GemmEdgeCase c{"tall m=" + std::to_string(kTallM) + " k=" + std::to_string(k), kTallM, 1, k, k, 1, {}, {}};
  c.A.resize(static_cast<std::size_t>(c.m) * c.lda);
  for (int i = 0; i < c.m; ++i)
    for (int p = 0; p < k; ++p) c.A[static_cast<std::size_t>(i) * c.lda + p] = static_cast<float>(i + 1);
  c.B.assign(static_cast<std::size_t>(c.k), 1.0f);
  if (k == 2) c.B[1] = 0.5f;
  return c;
}

// The same width in columns: m = 1, B's row is 1, 2, 3, ..., A = 2.
inline GemmEdgeCase wide_case() {
  GemmEdgeCase c{"wide n=" + std::to_string(kTallM), 1, kTallM, 1, 1, kTallM, {2.0f}, {}};
  c.B.resize(static_cast<std::size_t>(c.n));
  for (int j = 0; j < c.n; ++j) c.B[j] = static_cast<float>(j + 1);
  return c;
}

}  // namespace grid

#endif  // GRID_TESTS_EXACT_EDGE_CASES_H
