#include "compute/freivalds.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "compute/cpu_features.h"
#include "core/parallel_for.h"

namespace grid {
namespace {

constexpr int P = kFreivaldsProbes;
static_assert(P % 8 == 0, "a row's probe sums are whole vectors of 8 and of 4");

// GCC vector types of 8 and of 4 doubles (with the floats and integers of
// the same lane count): the accumulators stay in registers.
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef long long v8l __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef long long v4l __attribute__((vector_size(32)));

// Rows r and r + 1 share every load of V, in vectors of D (W doubles: one
// register of the ISA it is built for). Each output lane sums its terms
// in column order, and |M| w goes into eight interleaved partial sums
// (column j into sum j % 8) added up at the end, whatever W is: every
// width gives the same bits. Each value of M is read as a scalar and
// broadcast; taken out of a converted vector instead (a[u]), on AVX2,
// where GCC splits an 8-double vector in two, every lane went through the
// stack and the general registers, ten times slower.
template <typename D, typename F, typename L>
__attribute__((always_inline)) inline void row_pair_body(const float* m0, const float* m1, int64_t cols,
                                                         const double* V, const double* w, double* out0,
                                                         double* out1, double* abs0, double* abs1) {
  constexpr int W = sizeof(D) / sizeof(double);
  constexpr int Q = P / W;  // vectors of a row's probe sums
  constexpr int A = 8 / W;  // vectors of its eight partial |M| w sums
  static_assert(Q * W == P && A * W == 8, "whole vectors");
  D s0[Q] = {}, s1[Q] = {};
  D part0[A] = {}, part1[A] = {};
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    if (abs0) {
      for (int a = 0; a < A; ++a) {
        F f0, f1;
        std::memcpy(&f0, m0 + j + a * W, sizeof f0);
        std::memcpy(&f1, m1 + j + a * W, sizeof f1);
        D wj = D{} + 1.0;
        if (w) std::memcpy(&wj, w + j + a * W, sizeof wj);
        const L magnitude = L{} + 0x7fffffffffffffffLL;
        part0[a] += (D)((L)__builtin_convertvector(f0, D) & magnitude) * wj;
        part1[a] += (D)((L)__builtin_convertvector(f1, D) & magnitude) * wj;
      }
    }
    for (int u = 0; u < 8; ++u) {
      const double a0 = m0[j + u], a1 = m1[j + u];
      for (int q = 0; q < Q; ++q) {
        D v;
        std::memcpy(&v, V + (j + u) * P + q * W, sizeof v);
        s0[q] += a0 * v;
        s1[q] += a1 * v;
      }
    }
  }
  double tail0 = 0, tail1 = 0;
  for (; j < cols; ++j) {
    const double a0 = m0[j], a1 = m1[j], wj = w ? w[j] : 1.0;
    tail0 += std::fabs(a0) * wj;
    tail1 += std::fabs(a1) * wj;
    for (int q = 0; q < Q; ++q) {
      D v;
      std::memcpy(&v, V + j * P + q * W, sizeof v);
      s0[q] += a0 * v;
      s1[q] += a1 * v;
    }
  }
  for (int q = 0; q < Q; ++q) {
    std::memcpy(out0 + q * W, &s0[q], sizeof s0[q]);
    std::memcpy(out1 + q * W, &s1[q], sizeof s1[q]);
  }
  if (abs0) {
    for (int u = 0; u < 8; ++u) tail0 += part0[u / W][u % W], tail1 += part1[u / W][u % W];
    *abs0 = tail0;
    *abs1 = tail1;
  }
}

// AVX-512: a vector of 8 doubles is one register.
__attribute__((target("arch=x86-64-v4"))) void row_pair_avx512(const float* m0, const float* m1, int64_t cols,
                                                               const double* V, const double* w, double* out0,
                                                               double* out1, double* abs0, double* abs1) {
  row_pair_body<v8d, v8f, v8l>(m0, m1, cols, V, w, out0, out1, abs0, abs1);
}

// AVX2 (and SSE2, the default x86-64 build, picked at load time): 4.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void row_pair_narrow(
    const float* m0, const float* m1, int64_t cols, const double* V, const double* w, double* out0, double* out1,
    double* abs0, double* abs1) {
  row_pair_body<v4d, v4f, v4l>(m0, m1, cols, V, w, out0, out1, abs0, abs1);
}

using RowPairFn = void (*)(const float*, const float*, int64_t, const double*, const double*, double*, double*,
                           double*, double*);

// x86-64-v4's features, as GCC's arch=x86-64-v4 assumes them.
RowPairFn row_pair_for_this_cpu() {
  const CpuFeatures f = cpu_features();
  return has_avx512_skylake(f) && f.avx2 && f.fma ? row_pair_avx512 : row_pair_narrow;
}

}  // namespace

void freivalds_products(const float* M, int64_t rows, int64_t cols, const double* V, const double* w, double* out,
                        double* abs_out, int threads) {
  // An odd last row pairs with itself; its second copy is written twice
  // with the same values.
  const int64_t pairs = (rows + 1) / 2;
  static const RowPairFn row_pair = row_pair_for_this_cpu();
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
