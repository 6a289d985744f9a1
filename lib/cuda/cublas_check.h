// Status checking for cuBLAS / cuBLASLt calls (CUDA translation units only).
#ifndef GRID_CUBLAS_CHECK_H
#define GRID_CUBLAS_CHECK_H

#include <cublasLt.h>

#include <string>

#include "core/device_error.h"

namespace grid {

[[noreturn]] inline void cublas_fail(cublasStatus_t status, const char* call, const char* file,
                                     int line) {
  throw DeviceError(std::string(call) + " failed: " + cublasLtGetStatusName(status) + " (" +
                    cublasLtGetStatusString(status) + ") at " + file + ":" + std::to_string(line));
}

}  // namespace grid

// Throws grid::DeviceError naming the call and where it was made.
#define GRID_CUBLAS_CHECK(call)                                              \
  do {                                                                       \
    const cublasStatus_t grid_cublas_status_ = (call);                       \
    if (grid_cublas_status_ != CUBLAS_STATUS_SUCCESS)                        \
      ::grid::cublas_fail(grid_cublas_status_, #call, __FILE__, __LINE__);   \
  } while (0)

#endif  // GRID_CUBLAS_CHECK_H
