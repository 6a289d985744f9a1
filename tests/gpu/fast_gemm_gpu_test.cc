// Fast mode's cuBLAS GEMM against a float64 reference, for every transpose
// form and shapes that are no multiple of any tile. Needs a GPU: skips when
// none answers (and in builds without CUDA). tests/gpu/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "compute/device_cuda.h"

namespace grid {
namespace {

TEST(FastGemmGpu, MatchesAFloat64ReferenceInEveryTransposeForm) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  std::mt19937 rng(20261128);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {128, 96, 257}, {300, 129, 1031}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const int m = s[0], n = s[1], k = s[2];
        // Stored shapes: A is k x m when transposed, B n x k; one column of padding each.
        const int a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
        const int lda = a_cols + 1, ldb = b_cols + 1, ldc = n + 2;
        std::vector<float> A(static_cast<size_t>(a_rows) * lda), B(static_cast<size_t>(b_rows) * ldb);
        for (float& x : A) x = value(rng);
        for (float& x : B) x = value(rng);
        std::vector<float> C(static_cast<size_t>(m) * ldc, 7.0f);
        fast_gemm_cuda_host(ta, tb, m, n, k, A.data(), lda, B.data(), ldb, C.data(), ldc);
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            double want = 0, scale = 0;
            for (int p = 0; p < k; ++p) {
              const double a = ta ? A[p * lda + i] : A[i * lda + p];
              const double b = tb ? B[j * ldb + p] : B[p * ldb + j];
              want += a * b;
              scale += std::fabs(a * b);
            }
            // FP32 accumulation in any order: |error| <= k u sum |a b|.
            const double bound = k * std::ldexp(1.0, -24) * scale * 1.01 + 1e-30;
            ASSERT_LE(std::fabs(C[i * ldc + j] - want), bound)
                << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb << " C[" << i << "][" << j << "]";
          }
        for (int i = 0; i < m; ++i)  // the padding stays as it was
          for (int j = n; j < ldc; ++j) ASSERT_EQ(C[i * ldc + j], 7.0f);
      }
}

}  // namespace
}  // namespace grid
