// The CUDA backend as a library of its own, loaded on first use.
//
// cuBLASLt alone maps about 200 MB and takes a tenth of a second to load;
// linked into every tool, each pipeline stage paid that at start, GPU or
// not, and a CUDA build did not start at all on a machine without CUDA's
// libraries. So in a CUDA build (GRID_CUDA=1) the kernels of lib/cuda/ live
// in libgridutils-cuda.so, which links cuBLAS, NCCL and the CUDA runtime;
// the tools link none of them, and the functions of device_cuda.h,
// gpu_bench_cuda.h, mlp_cuda.h and nccl_cuda.h are trampolines (cuda_backend.cc) that load it when a GPU
// is first used. Whether a GPU is there at all is asked of the NVIDIA
// driver first (libcuda.so.1, small), so a machine without one never loads
// the backend.
//
// The library is found at $GRID_CUDA_BACKEND when set, else beside the
// executable: BINDIR/../lib/gridutils/libgridutils-cuda.so (the build tree
// and `make install` both lay it out so).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/gpu_bench_cuda.h"
#include "compute/mlp_cuda.h"
#include "compute/nccl_cuda.h"

namespace grid {

// A backend of another build is refused: by this number (bumped with any
// change to the table), the table's size, and the build id, a hash of the
// headers whose types cross between the two (the Makefile's CUDA_BUILD).
constexpr int kCudaBackendAbi = 5;
#ifndef GRID_CUDA_BUILD
#define GRID_CUDA_BUILD "unknown"
#endif
constexpr const char* kCudaBackendBuild = GRID_CUDA_BUILD;

struct CudaBackend {
  int abi;
  size_t size;  // sizeof(CudaBackend) in the backend's build
  const char* build;  // its kCudaBackendBuild
  int (*device_count)(std::string* why);
  void (*exact_gemm)(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                     void* stream);
  void (*exact_gemm_host)(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc);
  void (*fast_gemm_host)(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                         int ldb, float* C, int ldc);
  void (*exact_unary_host)(ExactUnary op, const float* in, float* out, std::size_t n);
  void (*exact_binary_host)(ExactBinary op, const float* a, const float* b, float* out, std::size_t n);
  bool (*gemm_supported)(int dev, CudaGemm g);
  CudaGemmRun (*gemm_run)(int dev, CudaGemm g, int m, int n, int k, const float* A, const float* B,
                          const std::vector<std::pair<int, int>>& sample_at, int warmup, int reps);
  double (*exact_gemm_timed)(int dev, int m, int n, int k, const float* A, const float* B, float* C);
  std::vector<double> (*time_copy)(int dev, size_t bytes, int warmup, int reps);
  std::vector<double> (*time_triad)(int dev, size_t bytes, int warmup, int reps);
  std::vector<double> (*time_h2d)(int dev, size_t bytes, int warmup, int reps);
  std::vector<double> (*time_d2h)(int dev, size_t bytes, int warmup, int reps);
  NcclRun (*nccl_allreduce)(size_t bytes, int warmup, int reps);
  CudaFacts (*facts)(int dev);
  MlpCudaState* (*mlp_create)(const MlpCudaSetup& setup);
  void (*mlp_destroy)(MlpCudaState* s);
  void (*mlp_upload)(MlpCudaState* s, const std::vector<std::vector<float>>& params,
                     const std::vector<std::vector<float>>& slots);
  void (*mlp_download)(MlpCudaState* s, std::vector<std::vector<float>>* params,
                       std::vector<std::vector<float>>* slots);
  void (*mlp_step)(MlpCudaState* s, const MlpCudaStep& step);
  float (*mlp_loss)(MlpCudaState* s);
  std::string (*nccl_unique_id)();
  NcclRun (*nccl_allreduce_rank)(const std::string& unique_id, int rank, int size, int dev, size_t bytes, int warmup,
                                 int reps);
  void (*use_device)(int dev);
  NcclSumState* (*nccl_sum_create)(const std::string& unique_id, int rank, int size, int dev);
  void (*nccl_sum_destroy)(NcclSumState* s);
  void (*nccl_sum_host)(NcclSumState* s, float* data, size_t count);
};

// Where the backend is looked for (see above).
std::string cuda_backend_path();

// Loads the backend at `path` (not cached: for tests); nullptr with *why
// set when it cannot be loaded or is of another build.
const CudaBackend* load_cuda_backend(const std::string& path, std::string* why);

// The backend at cuda_backend_path(), loaded once per process.
const CudaBackend* cuda_backend(std::string* why);

}  // namespace grid

// The one symbol the backend library exports.
extern "C" const grid::CudaBackend* grid_cuda_backend();
