// Fast-mode FP32 GEMM on the CPU: OpenBLAS (compute/openblas.h, loaded on
// first use; exit 69 when it cannot be). Results are checked by
// tolerance, never by hash.
#pragma once

namespace grid {

// C = A * B, row-major, on `threads` OpenBLAS threads (<= 0: all cores).
void fast_gemm_cpu(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C,
                   int ldc, int threads);

// The same with either operand read transposed (op(A) is m x k, op(B) is
// k x n; lda and ldb are the stored row lengths).
void fast_gemm_cpu_t(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                     int ldb, float* C, int ldc, int threads);

}  // namespace grid
