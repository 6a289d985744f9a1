// Fast mode's GEMM on a GPU: cuBLAS FP32 (cublasSgemm, default math: no
// TF32 unless the environment forces it), on host arrays. It copies in and
// out as exact_gemm_cuda_host does, so the two modes' rates compare the
// kernels, not the transfers.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda/cublas_check.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "compute/device_cuda.h"
#include "cuda/fast_gemm.h"

namespace grid {
namespace {

// One handle per thread and device (a handle must not serve two threads at
// once). Never destroyed: at process exit CUDA may already be torn down,
// and cublasDestroy then fails; the process's end frees it.
cublasHandle_t thread_handle() {
  thread_local cublasHandle_t handle = nullptr;
  thread_local int handle_device = -1;
  int device = 0;
  GRID_CUDA_CHECK(cudaGetDevice(&device));
  if (!handle || handle_device != device) {
    GRID_CUBLAS_CHECK(cublasCreate(&handle));
    handle_device = device;
  }
  return handle;
}

}  // namespace

void fast_gemm_cuda(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                    int ldb, float* C, int ldc, cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    GRID_CUDA_CHECK(cudaMemsetAsync(C, 0, matrix_bytes(m, n, ldc), stream));
    return;
  }
  cublasHandle_t h = thread_handle();
  GRID_CUBLAS_CHECK(cublasSetStream(h, stream));
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the
  // same buffers, operands swapped, each keeping its own transpose.
  const float alpha = 1.0f, beta = 0.0f;
  GRID_CUBLAS_CHECK(cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                                &alpha, B, ldb, A, lda, &beta, C, ldc));
}

void fast_gemm_cuda_host(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                         int ldb, float* C, int ldc) {
  const int a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
  const int b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  if (m < 0 || n < 0 || k < 0 || lda < std::max(a_cols, 1) || ldb < std::max(b_cols, 1) || ldc < std::max(n, 1))
    throw std::invalid_argument("fast_gemm_cuda_host: bad dimensions m=" + std::to_string(m) + " n=" +
                                std::to_string(n) + " k=" + std::to_string(k));
  if (m == 0 || n == 0) return;
  CudaMemory dA(matrix_bytes(a_rows, a_cols, lda)), dB(matrix_bytes(b_rows, b_cols, ldb)), dC(matrix_bytes(m, n, ldc));
  copy_matrix(dA.as<float>(), A, a_rows, a_cols, lda, cudaMemcpyHostToDevice);
  copy_matrix(dB.as<float>(), B, b_rows, b_cols, ldb, cudaMemcpyHostToDevice);
  fast_gemm_cuda(trans_a, trans_b, m, n, k, dA.as<float>(), lda, dB.as<float>(), ldb, dC.as<float>(), ldc, nullptr);
  copy_matrix(C, dC.as<float>(), m, n, ldc, cudaMemcpyDeviceToHost);
  GRID_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace grid
