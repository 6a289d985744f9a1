// CUDA backend of exact mode: the GEMM of exact_gemm.h and the elementwise
// functions of exact_math.h, with the same bits as the CPU.
//
// Why this kernel is plain: bit-identity with the CPU needs one sequential
// fma chain per output, p = 0..k-1. So no tensor cores (their internal
// accumulation order and rounding are unspecified), no split-K, no atomics,
// no warp-shuffle reductions. Tiling only changes where operands are loaded
// from; every thread still walks its outputs' chains in order with __fmaf_rn.
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
#include "compute/exact_math.h"

namespace grid {
namespace {

// 64x64 outputs per block (exact_gemm_grid.h), 16x16 threads, 4x4 outputs
// per thread: 16 independent chains per thread hide the fma latency. A K
// tile of 16 keeps shared memory at 8 KiB per block, so several blocks fit
// per SM.
constexpr int kTileM = kExactGemmTileM;
constexpr int kTileN = kExactGemmTileN;
constexpr int kTileK = 16;
constexpr int kThreadsX = 16;
constexpr int kThreadsY = 16;
constexpr int kPerThreadM = kTileM / kThreadsY;
constexpr int kPerThreadN = kTileN / kThreadsX;
constexpr int kBlockThreads = kThreadsX * kThreadsY;
static_assert(kTileM * kTileK % kBlockThreads == 0 && kTileN * kTileK % kBlockThreads == 0,
              "every thread loads the same number of tile elements");
// +1 column staggers the A tile's transposed stores across shared-memory banks.
constexpr int kTilePadM = kTileM + 1;

// One step p of this thread's chains: acc[r][c] = fma(A[i_r][p], B[p][j_c], acc[r][c]).
__device__ __forceinline__ void tile_step(const float* a_col, const float* b_row, int tx, int ty,
                                          float (&acc)[kPerThreadM][kPerThreadN]) {
  float a[kPerThreadM], b[kPerThreadN];
#pragma unroll
  for (int r = 0; r < kPerThreadM; ++r) a[r] = a_col[ty + r * kThreadsY];
#pragma unroll
  for (int c = 0; c < kPerThreadN; ++c) b[c] = b_row[tx + c * kThreadsX];
#pragma unroll
  for (int r = 0; r < kPerThreadM; ++r)
#pragma unroll
    for (int c = 0; c < kPerThreadN; ++c) acc[r][c] = __fmaf_rn(a[r], b[c], acc[r][c]);
}

// Indices are 64-bit wherever an int could overflow: m, n and k may each be
// up to INT_MAX, and a tile's last row, column or K step lies past them.
__global__ void __launch_bounds__(kBlockThreads)
    exact_gemm_kernel(int m, int n, int k, unsigned col_tiles, const float* __restrict__ A,
                      std::int64_t lda, const float* __restrict__ B, std::int64_t ldb,
                      float* __restrict__ C, std::int64_t ldc) {
  __shared__ float As[kTileK][kTilePadM];  // As[p][i]: column p of the A tile
  __shared__ float Bs[kTileK][kTileN];     // Bs[p][j]: row p of the B tile
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kThreadsX + tx;
  // Tile (blockIdx.x / col_tiles, blockIdx.x % col_tiles); 32-bit division
  // suffices, as the blocks are at most kExactGemmMaxBlocks.
  const std::int64_t row0 = std::int64_t{blockIdx.x / col_tiles} * kTileM;
  const std::int64_t col0 = std::int64_t{blockIdx.x % col_tiles} * kTileN;

  // This thread's outputs: rows row0 + ty + 16r, columns col0 + tx + 16c
  // (interleaved, so a warp's stores to C are coalesced).
  float acc[kPerThreadM][kPerThreadN];
#pragma unroll
  for (int r = 0; r < kPerThreadM; ++r)
#pragma unroll
    for (int c = 0; c < kPerThreadN; ++c) acc[r][c] = 0.0f;

  // Counted in tiles: p0 += kTileK would overflow for k > INT_MAX - kTileK.
  const int k_tiles = k / kTileK + (k % kTileK != 0);
  for (int t = 0; t < k_tiles; ++t) {
    const int p0 = t * kTileK, live_k = min(kTileK, k - p0);
    // Out-of-range loads read as 0; those values reach only outputs that are
    // never stored, or K steps that are never run (below).
#pragma unroll
    for (int e = tid; e < kTileM * kTileK; e += kBlockThreads) {
      const int i = e / kTileK, p = e % kTileK;
      const std::int64_t gi = row0 + i;
      As[p][i] = gi < m && p < live_k ? A[gi * lda + p0 + p] : 0.0f;
    }
#pragma unroll
    for (int e = tid; e < kTileN * kTileK; e += kBlockThreads) {
      const int p = e / kTileN, j = e % kTileN;
      const std::int64_t gj = col0 + j;
      Bs[p][j] = p < live_k && gj < n ? B[(p0 + p) * ldb + gj] : 0.0f;
    }
    __syncthreads();

    // A partial last tile runs only its live steps: a padded step would add
    // fma(0, 0, acc), which turns an acc of -0 into +0.
    if (live_k == kTileK) {
#pragma unroll
      for (int p = 0; p < kTileK; ++p) tile_step(As[p], Bs[p], tx, ty, acc);
    } else {
      for (int p = 0; p < live_k; ++p) tile_step(As[p], Bs[p], tx, ty, acc);
    }
    __syncthreads();
  }

#pragma unroll
  for (int r = 0; r < kPerThreadM; ++r) {
    const std::int64_t gi = row0 + ty + r * kThreadsY;
#pragma unroll
    for (int c = 0; c < kPerThreadN; ++c) {
      const std::int64_t gj = col0 + tx + c * kThreadsX;
      if (gi < m && gj < n) C[gi * ldc + gj] = acc[r][c];
    }
  }
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
  const ExactGemmGrid g = exact_gemm_grid(m, n);
  const dim3 grid(static_cast<unsigned>(g.blocks)), block(kThreadsX, kThreadsY);
  exact_gemm_kernel<<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(m, n, k, static_cast<unsigned>(g.col_tiles), A, lda,
                                                                          B, ldb, C, ldc);
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
