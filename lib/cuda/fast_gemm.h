// Fast mode's GEMM on device pointers, for the kernels of this folder that
// keep their operands on the device (mlp_train.cu). CUDA translation units
// only.
#ifndef GRID_CUDA_FAST_GEMM_H
#define GRID_CUDA_FAST_GEMM_H

#include <cuda_runtime.h>

namespace grid {

// Row-major C = op(A) op(B) by cuBLAS FP32 (cublasSgemm, default math) on
// device arrays, enqueued on `stream`; the shapes of fast_gemm_cuda_host.
// k == 0 writes C = 0.
void fast_gemm_cuda(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                    int ldb, float* C, int ldc, cudaStream_t stream);

}  // namespace grid

#endif  // GRID_CUDA_FAST_GEMM_H
