// nccl_cuda.h: fast training's all-reduce across ranks, one rank a GPU.
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstddef>
#include <string>

#include "compute/nccl_cuda.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "cuda/nccl_check.h"

namespace grid {

// Members are destroyed in reverse: the communicator before the stream and
// the buffer it uses.
struct NcclSumState {
  explicit NcclSumState(int d) : dev(d) {}
  int dev;
  Stream stream;
  CudaMemory buffer;
  std::size_t capacity = 0;  // floats
  ncclComm_t comm = nullptr;
  ~NcclSumState() {
    if (comm) ncclCommDestroy(comm);
  }
};

void cuda_use_device(int dev) { GRID_CUDA_CHECK(cudaSetDevice(dev)); }

NcclSumState* nccl_sum_create(const std::string& unique_id, int rank, int size, int dev) {
  const ncclUniqueId id = nccl_unique_id_of(unique_id, "nccl_sum_create");
  cuda_use_device(dev);
  auto* s = new NcclSumState(dev);
  try {
    GRID_NCCL_CHECK(ncclCommInitRank(&s->comm, size, id, rank));
  } catch (...) {
    delete s;
    throw;
  }
  return s;
}

void nccl_sum_destroy(NcclSumState* s) { delete s; }

void nccl_sum_host(NcclSumState* s, float* data, std::size_t count) {
  GRID_CUDA_CHECK(cudaSetDevice(s->dev));
  if (count > s->capacity) {
    s->buffer = CudaMemory(count * sizeof(float));
    s->capacity = count;
  }
  float* d = s->buffer.as<float>();
  const cudaStream_t st = s->stream.get();
  GRID_CUDA_CHECK(cudaMemcpyAsync(d, data, count * sizeof(float), cudaMemcpyHostToDevice, st));
  GRID_NCCL_CHECK(ncclAllReduce(d, d, count, ncclFloat, ncclSum, s->comm, st));
  GRID_CUDA_CHECK(cudaMemcpyAsync(data, d, count * sizeof(float), cudaMemcpyDeviceToHost, st));
  GRID_CUDA_CHECK(cudaStreamSynchronize(st));
}

}  // namespace grid
