// Status checking for NCCL calls (CUDA translation units only).
#ifndef GRID_NCCL_CHECK_H
#define GRID_NCCL_CHECK_H

#include <nccl.h>

#include <cstring>
#include <string>

#include "core/device_error.h"

namespace grid {

[[noreturn]] inline void nccl_fail(ncclResult_t result, const char* call, const char* file,
                                   int line) {
  throw DeviceError(std::string(call) + " failed: " + ncclGetErrorString(result) + " at " + file +
                    ":" + std::to_string(line));
}

// The unique id whose bytes cuda_nccl_unique_id() gave; `who` names the
// caller in the error for bytes of another length.
inline ncclUniqueId nccl_unique_id_of(const std::string& bytes, const char* who) {
  ncclUniqueId id;
  if (bytes.size() != sizeof id.internal)
    throw DeviceError(std::string(who) + ": an NCCL unique id has " + std::to_string(sizeof id.internal) +
                      " bytes, not " + std::to_string(bytes.size()));
  std::memcpy(id.internal, bytes.data(), sizeof id.internal);
  return id;
}

}  // namespace grid

// Throws grid::DeviceError naming the call and where it was made.
#define GRID_NCCL_CHECK(call)                                                \
  do {                                                                       \
    const ncclResult_t grid_nccl_result_ = (call);                           \
    if (grid_nccl_result_ != ncclSuccess)                                    \
      ::grid::nccl_fail(grid_nccl_result_, #call, __FILE__, __LINE__);       \
  } while (0)

#endif  // GRID_NCCL_CHECK_H
