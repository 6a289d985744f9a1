// The CUDA measurements gpu-bench makes, behind plain C++ types so that
// code built without CUDA can include this. Times come from CUDA events,
// except NCCL's: a steady clock around the group call and a sync of every
// GPU's stream, as nccl-tests does (events time one GPU's stream only).
// In a build without CUDA every function throws DeviceError.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/device_error.h"

namespace grid {

struct CudaFacts {
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sms = 0;
  size_t memory_bytes = 0;
  int driver_version = 0;   // e.g. 12040
  int runtime_version = 0;
  int sm_clock_mhz = 0, memory_clock_mhz = 0;
  int memory_bus_bits = 0;
};

// The GEMM flavours gpu-bench times on a GPU. exact_f32 is exact_gemm_cuda;
// the rest are cuBLASLt with FP32 output and the named input type and
// compute mode.
enum class CudaGemm { exact_f32, f32, tf32, bf16, fp16, fp8 };
inline const char* cuda_gemm_name(CudaGemm g) {
  switch (g) {
    case CudaGemm::exact_f32: return "exact_f32";
    case CudaGemm::f32: return "f32";
    case CudaGemm::tf32: return "tf32";
    case CudaGemm::bf16: return "bf16";
    case CudaGemm::fp16: return "fp16";
    case CudaGemm::fp8: return "fp8";
  }
  return "?";
}
// Whether device `dev` can run `g` (fp8 needs compute capability 8.9+).
bool cuda_gemm_supported(int dev, CudaGemm g);

struct CudaGemmRun {
  std::vector<double> seconds;  // one per timed repetition
  std::vector<float> samples;   // C at the requested (row, col) positions
};

// C = A * B (row-major m x k and k x n host floats, converted to the input
// type on the device), `warmup` untimed runs then `reps` timed ones.
CudaGemmRun cuda_gemm_run(int dev, CudaGemm g, int m, int n, int k, const float* A, const float* B,
                          const std::vector<std::pair<int, int>>& sample_at, int warmup, int reps);

// One exact GEMM (exact_gemm_cuda) on device `dev`: copies A and B in,
// times the kernel alone, copies C (m x n) back. Returns the kernel's seconds.
double cuda_exact_gemm_timed(int dev, int m, int n, int k, const float* A, const float* B, float* C);

// Seconds per repetition for moving `bytes`: device-to-device copy, a
// triad a = b + s*c over three buffers of `bytes` each, and pinned host
// to device and back.
std::vector<double> cuda_time_copy(int dev, size_t bytes, int warmup, int reps);
std::vector<double> cuda_time_triad(int dev, size_t bytes, int warmup, int reps);
std::vector<double> cuda_time_h2d(int dev, size_t bytes, int warmup, int reps);
std::vector<double> cuda_time_d2h(int dev, size_t bytes, int warmup, int reps);

struct NcclRun {
  std::vector<double> seconds;
  bool correct = false;  // every rank's sum matched the expected value
};

// Sum all-reduce of `bytes` of floats across every local GPU (one process,
// ncclCommInitAll), result checked.
NcclRun cuda_nccl_allreduce(size_t bytes, int warmup, int reps);

// NCCL's unique id (ncclGetUniqueId, 128 bytes): made by rank 0 of a
// multi-process run and sent to the others over MPI.
std::string cuda_nccl_unique_id();
// Sum all-reduce of `bytes` of floats with this process as rank `rank` of
// `size`, on GPU `dev`, in the communicator of `unique_id`
// (ncclCommInitRank); rank r contributes r + 1, result checked. Seconds
// per repetition as this rank saw them: all-reduce and stream sync under
// a steady clock, as nccl-tests times each rank.
NcclRun cuda_nccl_allreduce_rank(const std::string& unique_id, int rank, int size, int dev, size_t bytes,
                                 int warmup, int reps);

CudaFacts cuda_facts(int dev);

}  // namespace grid
