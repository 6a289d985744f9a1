// The products of Freivalds' check of C = A B: M V for an FP32 matrix M and
// a few probe columns V, accumulated in double, with the row sums of |M|
// that bound FP32 rounding. One pass over M, in pieces of rows on every
// core, in whatever SIMD width the CPU has: the check is O(n^2) and must
// stay a small fraction of the O(n^3) product it checks.
#pragma once

#include <cstdint>
#include <vector>

namespace grid {

// Probe columns per pass (proof-check's Freivalds rounds).
constexpr int kFreivaldsProbes = 16;

// For each row i of M (rows x cols, row-major):
//   out[i * kFreivaldsProbes + t] = sum_j M[i][j] * V[j * kFreivaldsProbes + t]
// and, when abs_out is given, abs_out[i] = sum_j |M[i][j]| * w[j] (w = 1
// when null). Summation order is fixed (so results repeat) but not the
// textbook one: the caller's tolerance covers double rounding.
void freivalds_products(const float* M, int64_t rows, int64_t cols, const double* V, const double* w, double* out,
                        double* abs_out, int threads);

// The three passes of the check of C = A B (A rows x k, B k x n, C rows x
// n) with probes R (n x kFreivaldsProbes): A (B R), C R, and each row's
// |A| |B| 1, the scale of its FP32 rounding bound.
struct FreivaldsSums {
  std::vector<double> abr, cr, bound;
};
FreivaldsSums freivalds_sums(const float* A, const float* B, const float* C, int64_t rows, int64_t n, int64_t k,
                             const std::vector<double>& probes, int threads);

}  // namespace grid
