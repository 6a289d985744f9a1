// Host-callable entry points of the CUDA backend: exact mode's kernels and
// fast mode's cuBLAS GEMM.
//
// Plain C++: any translation unit may include this, with or without CUDA.
// In a build without CUDA (GRID_CUDA=0) cuda_device_count() returns 0 and
// every other function throws DeviceError, so callers can fall back to the
// CPU the same way as on a machine that has no GPU.
//
// All functions run on the calling thread's current CUDA device.
#ifndef GRID_DEVICE_CUDA_H
#define GRID_DEVICE_CUDA_H

#include <cstddef>
#include <string>

#include "core/device_error.h"
#include "compute/exact_math.h"

namespace grid {

// Number of CUDA devices that answer. 0, not an error, when there is no
// driver, no device, or no CUDA in this build; then `why`, when given, gets
// the runtime's own words (e.g. "cudaGetDeviceCount: ... (error 35)").
int cuda_device_count(std::string* why = nullptr);

// What cuda_device_count() found: the GPUs usable; when none, how many the
// NVIDIA driver reports all the same (a CUDA backend that cannot be
// loaded), and why none is usable.
struct CudaProbe {
  int usable = 0;
  int seen = 0;
  std::string why;
};
CudaProbe cuda_probe();

// The exact GEMM of exact_gemm.h (same DEFINITION, same bits as
// exact_gemm_cpu) on device pointers, enqueued on `stream` (a cudaStream_t;
// nullptr is the default stream). Returns once the kernel is launched.
// Throws std::invalid_argument on bad dimensions (as exact_gemm_cpu) and
// DeviceError if the launch fails.
void exact_gemm_cuda(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                     float* C, int ldc, void* stream);

// exact_gemm_cuda on host arrays: copies A and B to the device, runs, copies
// C back and waits. For tests and verifiers; C's padding (ldc > n) is kept.
void exact_gemm_cuda_host(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                          float* C, int ldc);

// Fast mode: row-major C = op(A) op(B) by cuBLAS FP32 (op = transpose when
// asked; A is stored k x m when trans_a, B n x k when trans_b) on host
// arrays, copied in and out. Not reproducible bit for bit across cards.
void fast_gemm_cuda_host(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                         int ldb, float* C, int ldc);

// out[i] = exact_unary(op, in[i]) computed on the device, host arrays in and
// out, so tests can compare device and CPU bits for each op.
void exact_unary_cuda_host(ExactUnary op, const float* in, float* out, std::size_t n);

// out[i] = exact_binary(op, a[i], b[i]) computed on the device, host arrays
// in and out, for the same comparison of add, sub, mul and div.
void exact_binary_cuda_host(ExactBinary op, const float* a, const float* b, float* out,
                            std::size_t n);

#if !GRID_CUDA
inline int cuda_device_count(std::string* why) {
  if (why) *why = "this build has no CUDA backend (built with CUDA=0)";
  return 0;
}

inline CudaProbe cuda_probe() {
  CudaProbe p;
  cuda_device_count(&p.why);
  return p;
}

inline void exact_gemm_cuda(int, int, int, const float*, int, const float*, int, float*, int,
                            void*) {
  throw DeviceError("exact_gemm_cuda: this build has no CUDA backend (built with CUDA=0)");
}

inline void exact_gemm_cuda_host(int, int, int, const float*, int, const float*, int, float*,
                                 int) {
  throw DeviceError("exact_gemm_cuda_host: this build has no CUDA backend (built with CUDA=0)");
}

inline void fast_gemm_cuda_host(bool, bool, int, int, int, const float*, int, const float*, int, float*, int) {
  throw DeviceError("fast_gemm_cuda_host: this build has no CUDA backend (built with CUDA=0)");
}

inline void exact_unary_cuda_host(ExactUnary, const float*, float*, std::size_t) {
  throw DeviceError("exact_unary_cuda_host: this build has no CUDA backend (built with CUDA=0)");
}

inline void exact_binary_cuda_host(ExactBinary, const float*, const float*, float*, std::size_t) {
  throw DeviceError("exact_binary_cuda_host: this build has no CUDA backend (built with CUDA=0)");
}
#endif

}  // namespace grid

#endif  // GRID_DEVICE_CUDA_H
