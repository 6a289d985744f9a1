// Status checking for CUDA runtime calls (CUDA translation units only).
#ifndef GRID_CUDA_CHECK_H
#define GRID_CUDA_CHECK_H

#include <cuda_runtime.h>

#include <string>

#include "core/device_error.h"

namespace grid {

[[noreturn]] inline void cuda_fail(cudaError_t err, const char* call, const char* file,
                                   int line) {
  throw DeviceError(std::string(call) + " failed: " + cudaGetErrorName(err) + " (" +
                    cudaGetErrorString(err) + ") at " + file + ":" + std::to_string(line));
}

}  // namespace grid

// Throws grid::DeviceError naming the call and where it was made.
#define GRID_CUDA_CHECK(call)                                               \
  do {                                                                      \
    const cudaError_t grid_cuda_err_ = (call);                              \
    if (grid_cuda_err_ != cudaSuccess)                                      \
      ::grid::cuda_fail(grid_cuda_err_, #call, __FILE__, __LINE__);         \
  } while (0)

#endif  // GRID_CUDA_CHECK_H
