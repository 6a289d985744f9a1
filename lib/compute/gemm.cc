#include "compute/gemm.h"

#include <vector>

#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/fast_gemm.h"

namespace grid {

namespace {

// dst (cols x rows) = src^T (rows x cols): the transposed operand of a
// backward GEMM on the GPU, so that the product is the NN GEMM of
// exact_gemm.h. (The CPU reads it in place: exact_gemm_cpu_t.)
std::vector<float> transpose(const float* src, int rows, int cols) {
  std::vector<float> dst(static_cast<size_t>(rows) * cols);
  for (size_t i = 0; i < static_cast<size_t>(rows); ++i)
    for (size_t j = 0; j < static_cast<size_t>(cols); ++j) dst[j * rows + i] = src[i * cols + j];
  return dst;
}

}  // namespace

void GemmEngine::gemm_tn(int m, int n, int k, const float* A, const float* B, float* C) const {
  if (mode == NumericMode::fast && cuda) return fast_gemm_cuda_host(true, false, m, n, k, A, m, B, n, C, n);
  if (mode == NumericMode::fast) return fast_gemm_cpu_t(true, false, m, n, k, A, m, B, n, C, n, threads);
  if (!cuda) return exact_gemm_cpu_t(true, false, m, n, k, A, m, B, n, C, n, threads);
  const std::vector<float> at = transpose(A, k, m);
  gemm(m, n, k, at.data(), k, B, n, C, n);
}

void GemmEngine::gemm_nt(int m, int n, int k, const float* A, const float* B, float* C) const {
  if (mode == NumericMode::fast && cuda) return fast_gemm_cuda_host(false, true, m, n, k, A, k, B, k, C, n);
  if (mode == NumericMode::fast) return fast_gemm_cpu_t(false, true, m, n, k, A, k, B, k, C, n, threads);
  if (!cuda) return exact_gemm_cpu_t(false, true, m, n, k, A, k, B, k, C, n, threads);
  const std::vector<float> bt = transpose(B, n, k);
  gemm(m, n, k, A, k, bt.data(), n, C, n);
}

void GemmEngine::gemm(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                      float* C, int ldc) const {
  if (cuda && mode == NumericMode::fast)
    fast_gemm_cuda_host(false, false, m, n, k, A, lda, B, ldb, C, ldc);
  else if (cuda)
    exact_gemm_cuda_host(m, n, k, A, lda, B, ldb, C, ldc);
  else if (mode == NumericMode::exact)
    exact_gemm_cpu(m, n, k, A, lda, B, ldb, C, ldc, threads);
  else
    fast_gemm_cpu(m, n, k, A, lda, B, ldb, C, ldc, threads);
}

}  // namespace grid
