// gpu_bench_cuda.h, bandwidth half: device-memory copy and triad, pinned
// host<->device copies, and the NCCL all-reduce across local GPUs or across
// the processes of an mpirun.
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "cuda/nccl_check.h"
#include "compute/device_cuda.h"
#include "compute/gpu_bench_cuda.h"

namespace grid {
namespace {

// The triad's scalar, as STREAM and lib/measure/bench_memory.cc use.
constexpr float kTriadScalar = 3.0f;

__global__ void fill_kernel(float* __restrict__ p, size_t n, float value) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) p[i] = value;
}

void fill(float* p, size_t n, float value, cudaStream_t s) {
  fill_kernel<<<grid_stride_blocks(n), kBlockThreads, 0, s>>>(p, n, value);
  GRID_CUDA_CHECK(cudaGetLastError());
}

// a = b + s*c (STREAM's triad). The body moves float4s (16-byte loads keep
// enough bytes in flight to reach full bandwidth); the tail of n % 4 floats
// goes one by one. cudaMalloc's 256-byte alignment makes the casts valid.
// Not exact mode: the multiply and add round separately (--fmad=false).
__global__ void triad_kernel(float* __restrict__ a, const float* __restrict__ b,
                             const float* __restrict__ c, float s, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const size_t first = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t n4 = n / 4;
  float4* a4 = reinterpret_cast<float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  const float4* c4 = reinterpret_cast<const float4*>(c);
  for (size_t i = first; i < n4; i += stride) {
    const float4 x = b4[i], y = c4[i];
    a4[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
  }
  for (size_t i = 4 * n4 + first; i < n; i += stride) a[i] = b[i] + s * c[i];
}

// Adds to *bad the number of p[i] != expected.
__global__ void count_mismatches_kernel(const float* __restrict__ p, size_t n, float expected,
                                        unsigned long long* bad) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  unsigned long long mine = 0;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    mine += p[i] != expected;
  if (mine > 0) atomicAdd(bad, mine);
}

std::vector<double> time_host_copy(int dev, size_t bytes, int warmup, int reps, cudaMemcpyKind kind) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  Stream stream;
  CudaMemory host(bytes, CudaMemory::pinned_host), device(bytes);
  if (bytes > 0) std::memset(host.get(), 0, bytes);  // fault the pages in before timing
  const bool h2d = kind == cudaMemcpyHostToDevice;
  return time_reps(stream.get(), warmup, reps, [&] {
    GRID_CUDA_CHECK(cudaMemcpyAsync(h2d ? device.get() : host.get(), h2d ? host.get() : device.get(),
                                    bytes, kind, stream.get()));
  });
}

// Puts the calling thread's current device back on every exit path.
class CurrentDeviceKeeper {
 public:
  CurrentDeviceKeeper() { GRID_CUDA_CHECK(cudaGetDevice(&dev_)); }
  ~CurrentDeviceKeeper() { cudaSetDevice(dev_); }
  CurrentDeviceKeeper(const CurrentDeviceKeeper&) = delete;
  CurrentDeviceKeeper& operator=(const CurrentDeviceKeeper&) = delete;

 private:
  int dev_ = 0;
};

int set_device(int dev) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  return dev;
}

// Whether all n floats at p equal `expected` (the stream is synchronized).
bool all_equal(const float* p, size_t n, float expected, cudaStream_t s) {
  CudaMemory bad(sizeof(unsigned long long));
  GRID_CUDA_CHECK(cudaMemsetAsync(bad.get(), 0, sizeof(unsigned long long), s));
  count_mismatches_kernel<<<grid_stride_blocks(n), kBlockThreads, 0, s>>>(p, n, expected,
                                                                          bad.as<unsigned long long>());
  GRID_CUDA_CHECK(cudaGetLastError());
  unsigned long long host_bad = 0;
  GRID_CUDA_CHECK(cudaMemcpyAsync(&host_bad, bad.get(), sizeof host_bad, cudaMemcpyDeviceToHost, s));
  GRID_CUDA_CHECK(cudaStreamSynchronize(s));
  return host_bad == 0;
}

// One GPU's share of the all-reduce: its buffers and stream, released on
// that GPU (the destructor's body runs before the members' destructors).
struct NcclRank {
  int dev;
  CudaMemory send, recv;
  Stream stream;
  NcclRank(int d, size_t count)
      : dev(set_device(d)), send(count * sizeof(float)), recv(count * sizeof(float)) {}
  ~NcclRank() { cudaSetDevice(dev); }
  NcclRank(const NcclRank&) = delete;
  NcclRank& operator=(const NcclRank&) = delete;
};

// One communicator per local GPU, ranks 0..n-1 on devices 0..n-1.
class NcclComms {
 public:
  explicit NcclComms(int n) : comms_(n, nullptr) {
    GRID_NCCL_CHECK(ncclCommInitAll(comms_.data(), n, nullptr));
  }
  ~NcclComms() {
    for (ncclComm_t c : comms_)
      if (c) ncclCommDestroy(c);
  }
  NcclComms(const NcclComms&) = delete;
  NcclComms& operator=(const NcclComms&) = delete;
  ncclComm_t operator[](int rank) const { return comms_[rank]; }

 private:
  std::vector<ncclComm_t> comms_;
};

}  // namespace

std::vector<double> cuda_time_copy(int dev, size_t bytes, int warmup, int reps) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  Stream stream;
  CudaMemory src(bytes), dst(bytes);
  if (bytes > 0) GRID_CUDA_CHECK(cudaMemsetAsync(src.get(), 0, bytes, stream.get()));
  return time_reps(stream.get(), warmup, reps, [&] {
    GRID_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
  });
}

std::vector<double> cuda_time_triad(int dev, size_t bytes, int warmup, int reps) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  const size_t n = bytes / sizeof(float);
  Stream stream;
  const cudaStream_t s = stream.get();
  CudaMemory a(n * sizeof(float)), b(n * sizeof(float)), c(n * sizeof(float));
  fill(b.as<float>(), n, 1.0f, s);
  fill(c.as<float>(), n, 2.0f, s);
  // Exactly one full wave of resident blocks, each looping to the end: a
  // partial last wave would leave SMs idle while the clock runs.
  int sms = 0, blocks_per_sm = 0;
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  GRID_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, triad_kernel, kBlockThreads, 0));
  const int blocks = std::max(1, std::min(sms * blocks_per_sm, grid_stride_blocks(n / 4)));
  return time_reps(s, warmup, reps, [&] {
    triad_kernel<<<blocks, kBlockThreads, 0, s>>>(a.as<float>(), b.as<float>(), c.as<float>(), kTriadScalar, n);
    GRID_CUDA_CHECK(cudaGetLastError());
  });
}

std::vector<double> cuda_time_h2d(int dev, size_t bytes, int warmup, int reps) {
  return time_host_copy(dev, bytes, warmup, reps, cudaMemcpyHostToDevice);
}

std::vector<double> cuda_time_d2h(int dev, size_t bytes, int warmup, int reps) {
  return time_host_copy(dev, bytes, warmup, reps, cudaMemcpyDeviceToHost);
}

// Timing: a host steady_clock around launching the whole group and
// synchronizing every rank's stream, as nccl-tests does. Events cannot give
// this: they time one device's stream, and the collective ends when the
// slowest rank does.
NcclRun cuda_nccl_allreduce(size_t bytes, int warmup, int reps) {
  const int gpus = cuda_device_count();
  if (gpus < 1) throw DeviceError("cuda_nccl_allreduce: no CUDA GPU answers");
  const size_t count = std::max<size_t>(1, bytes / sizeof(float));
  CurrentDeviceKeeper keep_device;
  std::vector<std::unique_ptr<NcclRank>> ranks;
  for (int r = 0; r < gpus; ++r) {
    ranks.push_back(std::make_unique<NcclRank>(r, count));
    fill(ranks[r]->send.as<float>(), count, static_cast<float>(r + 1), ranks[r]->stream.get());
    GRID_CUDA_CHECK(cudaMemsetAsync(ranks[r]->recv.get(), 0, count * sizeof(float), ranks[r]->stream.get()));
  }
  NcclComms comms(gpus);  // declared after the ranks: destroyed before their buffers

  auto all_reduce = [&] {
    GRID_NCCL_CHECK(ncclGroupStart());
    for (int r = 0; r < gpus; ++r)
      GRID_NCCL_CHECK(ncclAllReduce(ranks[r]->send.get(), ranks[r]->recv.get(), count, ncclFloat, ncclSum,
                                    comms[r], ranks[r]->stream.get()));
    GRID_NCCL_CHECK(ncclGroupEnd());
  };
  auto wait_all = [&] {
    for (int r = 0; r < gpus; ++r) {
      GRID_CUDA_CHECK(cudaSetDevice(r));
      GRID_CUDA_CHECK(cudaStreamSynchronize(ranks[r]->stream.get()));
    }
  };

  NcclRun run;
  for (int i = 0; i < warmup; ++i) all_reduce();
  wait_all();
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    all_reduce();
    wait_all();
    run.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // Every rank contributed rank + 1; the sum 1 + ... + n is a small integer,
  // exact in float whatever order NCCL adds in.
  const float expected = static_cast<float>(gpus) * (gpus + 1) / 2;
  run.correct = true;
  for (int r = 0; r < gpus; ++r) {
    GRID_CUDA_CHECK(cudaSetDevice(r));
    if (!all_equal(ranks[r]->recv.as<float>(), count, expected, ranks[r]->stream.get())) run.correct = false;
  }
  return run;
}

std::string cuda_nccl_unique_id() {
  ncclUniqueId id;
  GRID_NCCL_CHECK(ncclGetUniqueId(&id));
  return std::string(id.internal, sizeof id.internal);
}

// One process of a multi-process run, as nccl-tests runs under mpirun: its
// own communicator from the shared id, timed on its own clock; the caller
// averages the ranks' times.
NcclRun cuda_nccl_allreduce_rank(const std::string& unique_id, int rank, int size, int dev, size_t bytes, int warmup,
                                 int reps) {
  const ncclUniqueId id = nccl_unique_id_of(unique_id, "cuda_nccl_allreduce_rank");
  const size_t count = std::max<size_t>(1, bytes / sizeof(float));
  CurrentDeviceKeeper keep_device;
  NcclRank mine(dev, count);
  const cudaStream_t s = mine.stream.get();
  fill(mine.send.as<float>(), count, static_cast<float>(rank + 1), s);
  GRID_CUDA_CHECK(cudaMemsetAsync(mine.recv.get(), 0, count * sizeof(float), s));
  ncclComm_t comm = nullptr;
  GRID_NCCL_CHECK(ncclCommInitRank(&comm, size, id, rank));
  // Destroyed before the buffers, as NcclComms is in the one-process run.
  std::unique_ptr<ncclComm, ncclResult_t (*)(ncclComm_t)> hold(comm, ncclCommDestroy);
  auto all_reduce = [&] {
    GRID_NCCL_CHECK(ncclAllReduce(mine.send.get(), mine.recv.get(), count, ncclFloat, ncclSum, comm, s));
    GRID_CUDA_CHECK(cudaStreamSynchronize(s));
  };
  NcclRun run;
  for (int i = 0; i < warmup; ++i) all_reduce();
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    all_reduce();
    run.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  run.correct = all_equal(mine.recv.as<float>(), count, static_cast<float>(size) * (size + 1) / 2, s);
  return run;
}

}  // namespace grid
