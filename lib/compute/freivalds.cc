#include "compute/freivalds.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/parallel_for.h"

namespace grid {
namespace {

constexpr int P = kFreivaldsProbes;
static_assert(P == 16, "row_pair holds the 16 probes as two vectors of 8");

// GCC vector types: the accumulators stay in registers whatever the width
// (one AVX-512 register, two AVX2 or four SSE2 registers per vector).
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef long long v8l __attribute__((vector_size(64)));

// Macros, not functions: a function taking or returning a 64-byte vector
// has a different ABI in each clone (GCC's -Wpsabi).
#define LOAD8(dst, p) std::memcpy(&(dst), (p), sizeof(v8d))
#define ABS8(x) ((v8d)((v8l)(x) & 0x7fffffffffffffffLL))

// Rows r and r + 1 share every load of V. Cloned per ISA (AVX-512, AVX2,
// SSE2) and picked at load time: the default x86-64 build would use SSE2.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void row_pair(
    const float* m0, const float* m1, int64_t cols, const double* V, const double* w, double* out0, double* out1,
    double* abs0, double* abs1) {
  v8d lo0 = {}, hi0 = {}, lo1 = {}, hi1 = {};
  v8d part0 = {}, part1 = {};  // |M| w in eight interleaved partial sums
  const v8d ones = {1, 1, 1, 1, 1, 1, 1, 1};
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    v8f f0, f1;
    std::memcpy(&f0, m0 + j, sizeof f0);
    std::memcpy(&f1, m1 + j, sizeof f1);
    const v8d a0 = __builtin_convertvector(f0, v8d), a1 = __builtin_convertvector(f1, v8d);
    if (abs0) {
      v8d wj = ones;
      if (w) LOAD8(wj, w + j);
      part0 += ABS8(a0) * wj;
      part1 += ABS8(a1) * wj;
    }
    for (int u = 0; u < 8; ++u) {
      v8d vlo, vhi;
      LOAD8(vlo, V + (j + u) * P);
      LOAD8(vhi, V + (j + u) * P + 8);
      lo0 += a0[u] * vlo;
      hi0 += a0[u] * vhi;
      lo1 += a1[u] * vlo;
      hi1 += a1[u] * vhi;
    }
  }
  double tail0 = 0, tail1 = 0;
  for (; j < cols; ++j) {
    const double a0 = m0[j], a1 = m1[j], wj = w ? w[j] : 1.0;
    tail0 += std::fabs(a0) * wj;
    tail1 += std::fabs(a1) * wj;
    v8d vlo, vhi;
    LOAD8(vlo, V + j * P);
    LOAD8(vhi, V + j * P + 8);
    lo0 += a0 * vlo;
    hi0 += a0 * vhi;
    lo1 += a1 * vlo;
    hi1 += a1 * vhi;
  }
  std::memcpy(out0, &lo0, sizeof lo0);
  std::memcpy(out0 + 8, &hi0, sizeof hi0);
  std::memcpy(out1, &lo1, sizeof lo1);
  std::memcpy(out1 + 8, &hi1, sizeof hi1);
  if (abs0) {
    for (int u = 0; u < 8; ++u) tail0 += part0[u], tail1 += part1[u];
    *abs0 = tail0;
    *abs1 = tail1;
  }
}

}  // namespace

void freivalds_products(const float* M, int64_t rows, int64_t cols, const double* V, const double* w, double* out,
                        double* abs_out, int threads) {
  // An odd last row pairs with itself; its second copy is written twice
  // with the same values.
  const int64_t pairs = (rows + 1) / 2;
  parallel_for(static_cast<size_t>(pairs), threads, [&](size_t p) {
    const int64_t r0 = 2 * static_cast<int64_t>(p), r1 = std::min(r0 + 1, rows - 1);
    row_pair(M + r0 * cols, M + r1 * cols, cols, V, w, out + r0 * P, out + r1 * P, abs_out ? abs_out + r0 : nullptr,
             abs_out ? abs_out + r1 : nullptr);
  });
}

FreivaldsSums freivalds_sums(const float* A, const float* B, const float* C, int64_t rows, int64_t n, int64_t k,
                             const std::vector<double>& probes, int threads) {
  FreivaldsSums s;
  std::vector<double> br(static_cast<size_t>(k * P)), abs_b_rows(static_cast<size_t>(k));
  s.abr.resize(static_cast<size_t>(rows * P));
  s.cr.resize(static_cast<size_t>(rows * P));
  s.bound.resize(static_cast<size_t>(rows));
  freivalds_products(B, k, n, probes.data(), nullptr, br.data(), abs_b_rows.data(), threads);
  freivalds_products(A, rows, k, br.data(), abs_b_rows.data(), s.abr.data(), s.bound.data(), threads);
  freivalds_products(C, rows, n, probes.data(), nullptr, s.cr.data(), nullptr, threads);
  return s;
}

}  // namespace grid
