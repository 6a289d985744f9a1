// Owners of CUDA resources (device and pinned host memory, streams, events)
// that release them on every exit path, and the event timer the benchmarks
// share. CUDA translation units only.
#ifndef GRID_CUDA_RESOURCES_H
#define GRID_CUDA_RESOURCES_H

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "cuda/cuda_check.h"

namespace grid {

// Launch shape of the grid-stride kernels: 256 threads a block, one thread
// per item up to 8192 blocks (several full waves on any current GPU), and
// the loop covers the rest.
constexpr int kBlockThreads = 256;
constexpr std::size_t kMaxBlocks = 8192;
inline int grid_stride_blocks(std::size_t items) {
  return static_cast<int>(std::clamp<std::size_t>((items + kBlockThreads - 1) / kBlockThreads, 1, kMaxBlocks));
}

// `bytes` of memory on the current device, or of page-locked host memory
// (which copies to and from the device at full bus speed). Zero bytes holds
// nullptr. Release errors are ignored: destructors run while unwinding.
class CudaMemory {
 public:
  enum Kind { device, pinned_host };
  explicit CudaMemory(std::size_t bytes = 0, Kind kind = device) : kind_(kind) {
    if (bytes == 0) return;
    if (kind == device) GRID_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
    else GRID_CUDA_CHECK(cudaHostAlloc(&ptr_, bytes, cudaHostAllocDefault));
  }
  ~CudaMemory() {
    if (!ptr_) return;
    if (kind_ == device) cudaFree(ptr_);
    else cudaFreeHost(ptr_);
  }
  CudaMemory(CudaMemory&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), kind_(o.kind_) {}
  CudaMemory& operator=(CudaMemory&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(kind_, o.kind_);
    return *this;
  }
  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  Kind kind_;
};

// A stream on the current device that does not synchronize with the legacy
// default stream, so everything ordered on it must be enqueued on it.
class Stream {
 public:
  Stream() { GRID_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { GRID_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// Seconds of each of `reps` runs of `enqueue` (which puts work on `stream`),
// after `warmup` untimed runs. A pair of events brackets each run on the
// stream, so only device time counts (host launch cost only where the
// device sat waiting for it).
template <typename Enqueue>
std::vector<double> time_reps(cudaStream_t stream, int warmup, int reps, Enqueue&& enqueue) {
  Event start, stop;
  for (int i = 0; i < warmup; ++i) enqueue();
  GRID_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    GRID_CUDA_CHECK(cudaEventRecord(start.get(), stream));
    enqueue();
    GRID_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
    GRID_CUDA_CHECK(cudaEventSynchronize(stop.get()));
    float ms = 0;
    GRID_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
    seconds.push_back(ms * 1e-3);
  }
  return seconds;
}

// Bytes of a rows x cols row-major matrix with leading dimension ld, up to
// its last element (the padding after the last row is not there).
inline std::size_t matrix_bytes(int rows, int cols, int ld) {
  return rows == 0 || cols == 0 ? 0 : (static_cast<std::size_t>(rows - 1) * ld + cols) * sizeof(float);
}

// Copies a rows x cols float matrix with leading dimension ld (the same on
// both sides), host to device or back.
inline void copy_matrix(float* dst, const float* src, int rows, int cols, int ld, cudaMemcpyKind kind) {
  if (rows == 0 || cols == 0) return;
  const std::size_t pitch = static_cast<std::size_t>(ld) * sizeof(float);
  GRID_CUDA_CHECK(cudaMemcpy2D(dst, pitch, src, pitch, cols * sizeof(float), rows, kind));
}

}  // namespace grid

#endif  // GRID_CUDA_RESOURCES_H
