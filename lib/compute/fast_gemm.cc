#include "compute/fast_gemm.h"

#include <cblas.h>

#include <thread>

#include "compute/openblas.h"
#include "core/parallel_for.h"

namespace grid {

void fast_gemm_cpu_t(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                     int ldb, float* C, int ldc, int threads) {
  const Openblas& blas = openblas();
  blas.set_num_threads(threads > 0 ? threads : hardware_threads());
  blas.sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
             A, lda, B, ldb, 0.0f, C, ldc);
}

void fast_gemm_cpu(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C,
                   int ldc, int threads) {
  fast_gemm_cpu_t(false, false, m, n, k, A, lda, B, ldb, C, ldc, threads);
}

}  // namespace grid
