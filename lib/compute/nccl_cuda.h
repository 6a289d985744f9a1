// Host-callable NCCL for fast training across ranks, one rank a GPU
// (doc/design.md, "Training across ranks"): an all-reduce of the summed
// partial gradients, which live on the host in the trainer's rank path.
//
// Plain C++, as device_cuda.h: with CUDA=0 every call throws DeviceError.
#ifndef GRID_NCCL_CUDA_H
#define GRID_NCCL_CUDA_H

#include <cstddef>
#include <string>

#include "core/device_error.h"

namespace grid {

// The backend's: a communicator, its stream and a device buffer.
struct NcclSumState;

// Makes `dev` the calling thread's current CUDA device, on which every later
// CUDA call of the thread runs (a rank's products included).
void cuda_use_device(int dev);

// Joins rank `rank` of `size` to the communicator of `unique_id`
// (cuda_nccl_unique_id() of rank 0, sent to every rank), on device `dev`,
// which it leaves current. Collective: every rank calls it at once.
NcclSumState* nccl_sum_create(const std::string& unique_id, int rank, int size, int dev);
void nccl_sum_destroy(NcclSumState* s);
// data[0..count) (host memory) summed over the ranks in place: copied to
// the GPU, ncclAllReduce (its order is NCCL's: fast mode only), copied back.
void nccl_sum_host(NcclSumState* s, float* data, std::size_t count);

#if !GRID_CUDA
inline void cuda_use_device(int) {
  throw DeviceError("cuda_use_device: this build has no CUDA backend (built with CUDA=0)");
}
inline NcclSumState* nccl_sum_create(const std::string&, int, int, int) {
  throw DeviceError("nccl_sum_create: this build has no CUDA backend (built with CUDA=0)");
}
inline void nccl_sum_destroy(NcclSumState*) {}
inline void nccl_sum_host(NcclSumState*, float*, std::size_t) {
  throw DeviceError("nccl_sum_host: this build has no CUDA backend (built with CUDA=0)");
}
#endif

}  // namespace grid

#endif  // GRID_NCCL_CUDA_H
