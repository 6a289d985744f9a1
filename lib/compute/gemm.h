// One GEMM dispatch for every caller that runs a product in a numeric mode
// on a device: exact (exact_gemm.h: the same bits on CPU and GPU) or fast
// (BLAS: OpenBLAS or cuBLAS FP32).
#pragma once

namespace grid {

enum class NumericMode { exact, fast };

// Where the matrix products run. exact: exact_gemm_cpu on `threads` threads
// (<= 0: all cores), or exact_gemm_cuda_host when `cuda` (same bits; throws
// DeviceError without a GPU). fast: OpenBLAS, or cuBLAS FP32 when `cuda`
// (fast_gemm_cuda_host).
struct GemmEngine {
  NumericMode mode = NumericMode::exact;
  bool cuda = false;
  int threads = 0;

  // C = A * B, row-major, no transposes (see exact_gemm.h for the layout).
  void gemm(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C,
            int ldc) const;
  // C (m x n) = A^T * B with A stored k x m, and C = A * B^T with B stored
  // n x k. Exact mode: the bits of the NN GEMM of an explicit transposed
  // copy, as the DEFINITION says (the CPU reads the operand in place,
  // exact_gemm_cpu_t; the GPU copies it). Fast mode: BLAS reads it in place.
  void gemm_tn(int m, int n, int k, const float* A, const float* B, float* C) const;
  void gemm_nt(int m, int n, int k, const float* A, const float* B, float* C) const;
};

}  // namespace grid
