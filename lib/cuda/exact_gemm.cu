// CUDA backend of exact mode: the GEMM of exact_gemm.h and the elementwise
// functions of exact_math.h, with the same bits as the CPU.
//
// Why this kernel is plain: bit-identity with the CPU needs one sequential
// fma chain per output, p = 0..k-1. So no tensor cores (their internal
// accumulation order and rounding are unspecified), no split-K, no atomics,
// no warp-shuffle reductions. Tiling only changes where operands are loaded
// from; every thread still walks its outputs' chains in order with __fmaf_rn.
// The tiling itself (who loads what, who owns which output, which buffer
// holds which K tile) is exact_gemm_tiling.h, which a CPU test runs.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/exact_gemm_grid.h"
#include "compute/exact_gemm_tiling.h"
#include "compute/exact_math.h"

namespace grid {
namespace {

namespace xt = exact_tiling;

// Indices are 64-bit wherever an int could overflow: m, n and k may each be
// up to INT_MAX, and a tile's last row, column or K step lies past them.
// The phases are those the CPU test (exact_gemm_tiling_test.cc) runs: load
// tile 0 into buffer 0; then per tile t, start the loads of t + 1, multiply
// t, store t + 1 into the other buffer, barrier. One barrier a tile is
// enough: the buffer stored at t was last read at t - 1, before the barrier
// that ended t - 1. One block of the large tiling an SM at least: up to 255
// registers a thread (64 accumulators, 16 operands, 8 in flight from
// global memory) and no spills.
template <typename Tl>
__global__ void __launch_bounds__(Tl::kThreads)
    exact_gemm_kernel(xt::GemmOperands<float> o, unsigned col_tiles) {
  __shared__ xt::TileBuffers<Tl, float> s;
  const int tid = threadIdx.x, tx = Tl::thread_x(tid), ty = Tl::thread_y(tid);
  // Tile (blockIdx.x / col_tiles, blockIdx.x % col_tiles); 32-bit division
  // suffices, as the blocks are at most kExactGemmMaxBlocks.
  const std::int64_t row0 = std::int64_t{blockIdx.x / col_tiles} * Tl::kTileM;
  const std::int64_t col0 = std::int64_t{blockIdx.x % col_tiles} * Tl::kTileN;

  xt::Accumulators<Tl, float> acc;
#pragma unroll
  for (int r = 0; r < Tl::kPerThreadM; ++r)
#pragma unroll
    for (int c = 0; c < Tl::kPerThreadN; ++c) acc[r][c] = 0.0f;  // the DEFINITION's +0

  const int tiles = xt::k_tiles(o.k);
  xt::Fragment<float> f;
  if (tiles > 0) {
    xt::load_fragment<Tl>(o, row0, col0, 0, tid, &f);
    xt::store_fragment<Tl>(f, xt::buffer_of(0), tid, &s);
  }
  __syncthreads();
  for (int t = 0; t < tiles; ++t) {
    const bool more = t + 1 < tiles;
    if (more) xt::load_fragment<Tl>(o, row0, col0, t + 1, tid, &f);
    xt::multiply_tile<Tl>(s, o.k, t, tx, ty, acc);
    if (more) xt::store_fragment<Tl>(f, xt::buffer_of(t + 1), tid, &s);
    __syncthreads();
  }
  xt::store_outputs<Tl>(o, row0, col0, tx, ty, acc);
}

// SMs of the current device: which tiling fills it (exact_gemm_grid.h).
int multiprocessors() {
  int device = 0, sms = 0;
  GRID_CUDA_CHECK(cudaGetDevice(&device));
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

bool vector_aligned(const void* p, int ld) {
  return reinterpret_cast<std::uintptr_t>(p) % (xt::kVec * sizeof(float)) == 0 && ld % xt::kVec == 0;
}

__global__ void exact_unary_kernel(ExactUnary op, const float* __restrict__ in,
                                   float* __restrict__ out, std::size_t n) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride)
    out[i] = exact_unary(op, in[i]);
}

__global__ void exact_binary_kernel(ExactBinary op, const float* __restrict__ a,
                                    const float* __restrict__ b, float* __restrict__ out,
                                    std::size_t n) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride)
    out[i] = exact_binary(op, a[i], b[i]);
}

// Enough blocks to fill any current GPU; the grid-stride loops cover the rest.
constexpr int kElementwiseThreads = 256;
constexpr int kElementwiseMaxBlocks = 4096;

int elementwise_blocks(std::size_t n) {
  return static_cast<int>(std::min<std::size_t>(
      kElementwiseMaxBlocks, (n + kElementwiseThreads - 1) / kElementwiseThreads));
}

}  // namespace

int cuda_device_count(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    if (why)
      *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e) + " (error " +
             std::to_string(static_cast<int>(e)) + ")";
    return 0;
  }
  if (count == 0 && why) *why = "cudaGetDeviceCount: no devices";
  return count;
}

void exact_gemm_cuda(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                     float* C, int ldc, void* stream) {
  exact_gemm_check_args(m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  // Refused on the large tiling's count (exact_gemm_grid): the small one is
  // chosen only for fewer blocks than SMs.
  const ExactGemmGrid g = exact_gemm_launch_grid(m, n, multiprocessors());
  const xt::GemmOperands<float> o = {m, n, k, A, lda, B, ldb, C, ldc,
                                     vector_aligned(A, lda), vector_aligned(B, ldb), vector_aligned(C, ldc)};
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (g.tile_m == xt::LargeTiling::kTileM)
    exact_gemm_kernel<xt::LargeTiling>
        <<<static_cast<unsigned>(g.blocks), xt::LargeTiling::kThreads, 0, s>>>(o, static_cast<unsigned>(g.col_tiles));
  else
    exact_gemm_kernel<xt::SmallTiling>
        <<<static_cast<unsigned>(g.blocks), xt::SmallTiling::kThreads, 0, s>>>(o, static_cast<unsigned>(g.col_tiles));
  GRID_CUDA_CHECK(cudaGetLastError());
}

void exact_gemm_cuda_host(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                          float* C, int ldc) {
  exact_gemm_check_args(m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  CudaMemory dA(matrix_bytes(m, k, lda)), dB(matrix_bytes(k, n, ldb)), dC(matrix_bytes(m, n, ldc));
  copy_matrix(dA.as<float>(), A, m, k, lda, cudaMemcpyHostToDevice);
  copy_matrix(dB.as<float>(), B, k, n, ldb, cudaMemcpyHostToDevice);
  exact_gemm_cuda(m, n, k, dA.as<float>(), lda, dB.as<float>(), ldb, dC.as<float>(), ldc, nullptr);
  copy_matrix(C, dC.as<float>(), m, n, ldc, cudaMemcpyDeviceToHost);
  GRID_CUDA_CHECK(cudaDeviceSynchronize());
}

void exact_unary_cuda_host(ExactUnary op, const float* in, float* out, std::size_t n) {
  if (n == 0) return;
  CudaMemory d_in(n * sizeof(float)), d_out(n * sizeof(float));
  GRID_CUDA_CHECK(cudaMemcpy(d_in.get(), in, n * sizeof(float), cudaMemcpyHostToDevice));
  exact_unary_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(op, d_in.as<float>(),
                                                                      d_out.as<float>(), n);
  GRID_CUDA_CHECK(cudaGetLastError());
  GRID_CUDA_CHECK(cudaMemcpy(out, d_out.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
}

void exact_binary_cuda_host(ExactBinary op, const float* a, const float* b, float* out,
                            std::size_t n) {
  if (n == 0) return;
  CudaMemory d_a(n * sizeof(float)), d_b(n * sizeof(float)), d_out(n * sizeof(float));
  GRID_CUDA_CHECK(cudaMemcpy(d_a.get(), a, n * sizeof(float), cudaMemcpyHostToDevice));
  GRID_CUDA_CHECK(cudaMemcpy(d_b.get(), b, n * sizeof(float), cudaMemcpyHostToDevice));
  exact_binary_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(
      op, d_a.as<float>(), d_b.as<float>(), d_out.as<float>(), n);
  GRID_CUDA_CHECK(cudaGetLastError());
  GRID_CUDA_CHECK(cudaMemcpy(out, d_out.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
}

}  // namespace grid
