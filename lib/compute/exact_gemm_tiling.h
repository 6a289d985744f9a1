// The register-tiled CUDA exact GEMM (lib/cuda/exact_gemm.cu), all but its
// __syncthreads(): which thread loads which operand element into which
// shared-memory buffer, which thread owns which outputs, and the one fma
// chain per output. Plain C++ (__host__ __device__ under nvcc), so that a
// CPU test (tests/unit/exact_gemm_tiling_test.cc) runs these very functions
// as the kernel's threads would, phase by phase, and checks the tiling
// without a GPU.
//
// A block computes a kTileM x kTileN tile of C with kThreads threads, each
// owning kPerThreadM x kPerThreadN outputs (a Tiling: a large one, and a
// small one for a C too small to fill the GPU with large tiles). The K loop goes kTileK steps a
// tile; tile t is staged in shared buffer t % 2, so the global loads of
// tile t + 1 are in flight while tile t is multiplied (double buffering,
// one barrier a tile). Every output's chain is the DEFINITION's of
// exact_gemm.h: acc = +0, then acc = fma(A[i][p], B[p][j], acc) for
// p = 0..k-1 in order; a partial last tile runs only its live steps.
#ifndef GRID_EXACT_GEMM_TILING_H
#define GRID_EXACT_GEMM_TILING_H

#include <cstdint>
#include <type_traits>

#include "compute/exact_gemm_grid.h"
#include "compute/exact_math.h"

// Loops over a thread's registers must be unrolled on the device, or the
// registers they index become local memory.
#ifdef __CUDA_ARCH__
#define GRID_UNROLL _Pragma("unroll")
#else
#define GRID_UNROLL
#endif

namespace grid::exact_tiling {

// 8 K steps a tile: two buffers of the large tiling's A and B tiles are
// 16.5 KiB, so two blocks could share an SM with room to spare.
constexpr int kTileK = 8;
constexpr int kVec = 4;  // floats in one 16-byte load or store
constexpr int kBuffers = 2;

// A block shape: TileM x TileN outputs, ThreadsX x ThreadsY threads, each
// owning two (or one) vectors of 4 rows by two (or one) vectors of 4
// columns. Each thread loads one vector of A and one of B per K tile.
template <int TileM, int TileN, int ThreadsX, int ThreadsY>
struct Tiling {
  static constexpr int kTileM = TileM, kTileN = TileN;
  static constexpr int kThreadsX = ThreadsX, kThreadsY = ThreadsY;
  static constexpr int kThreads = kThreadsX * kThreadsY;
  static constexpr int kPerThreadM = kTileM / kThreadsY;
  static constexpr int kPerThreadN = kTileN / kThreadsX;
  // The A tile is stored transposed (a[p][i]); 4 floats of padding a row
  // keep its stores from the same row i off one bank and its rows 16-byte
  // aligned.
  static constexpr int kPadM = kTileM + kVec;
  static_assert(kPerThreadM % kVec == 0 && kPerThreadN % kVec == 0, "whole vectors of outputs");
  static_assert(kTileM * kTileK == kThreads * kVec && kTileK * kTileN == kThreads * kVec,
                "each thread loads one vector of A and one of B per K tile");

  // Row (in the tile) of thread row ty's r-th output row: runs of 4 rows at
  // ty * 4, the next run ThreadsY * 4 rows below, so that a warp's
  // shared-memory reads are 16-byte vectors without bank conflicts.
  GRID_HD static constexpr int out_row(int ty, int r) {
    return (r / kVec) * (kThreadsY * kVec) + ty * kVec + r % kVec;
  }
  // Column (in the tile) of thread column tx's c-th output column, alike.
  GRID_HD static constexpr int out_col(int tx, int c) {
    return (c / kVec) * (kThreadsX * kVec) + tx * kVec + c % kVec;
  }
  GRID_HD static constexpr int thread_x(int tid) { return tid % kThreadsX; }
  GRID_HD static constexpr int thread_y(int tid) { return tid / kThreadsX; }

  // A: row a_load_row(tid) of the tile, K steps a_load_p(tid) .. + 3 (one
  // vector along a row of row-major A).
  GRID_HD static constexpr int a_load_row(int tid) { return tid / (kTileK / kVec); }
  GRID_HD static constexpr int a_load_p(int tid) { return (tid % (kTileK / kVec)) * kVec; }
  // B: K step b_load_p(tid) of the tile, columns b_load_col(tid) .. + 3.
  GRID_HD static constexpr int b_load_p(int tid) { return tid / (kTileN / kVec); }
  GRID_HD static constexpr int b_load_col(int tid) { return (tid % (kTileN / kVec)) * kVec; }
};

// The large tiling (exact_gemm_grid.h's tile): 256 threads of 8 x 8
// outputs, 64 independent chains each to hide the fma latency.
using LargeTiling = Tiling<kExactGemmTileM, kExactGemmTileN, 16, 16>;
// The small one, for a C too small to give every SM a large tile (the
// training step's GEMMs: 128 rows of a batch): 64 threads of 4 x 4.
using SmallTiling = Tiling<kExactGemmSmallTile, kExactGemmSmallTile, 8, 8>;
static_assert(LargeTiling::kPerThreadM == 8 && SmallTiling::kPerThreadM == 4, "the shapes the comments describe");

// --- the K loop -------------------------------------------------------------------

// Counted in tiles: p0 += kTileK would overflow for k > INT_MAX - kTileK.
GRID_HD constexpr int k_tiles(int k) { return k / kTileK + (k % kTileK != 0); }
// K steps of tile t that are real (kTileK except in a partial last tile).
GRID_HD constexpr int live_k(int k, int t) { return k - t * kTileK < kTileK ? k - t * kTileK : kTileK; }
GRID_HD constexpr int buffer_of(int t) { return t % kBuffers; }

// A block's shared memory. alignas: the vector accesses need 16 bytes.
template <typename Tl, typename T>
struct TileBuffers {
  alignas(16) T a[kBuffers][kTileK][Tl::kPadM];   // a[buf][p][i] = A[row0 + i][t * kTileK + p]
  alignas(16) T b[kBuffers][kTileK][Tl::kTileN];  // b[buf][p][j] = B[t * kTileK + p][col0 + j]
};

// A thread's accumulators.
template <typename Tl, typename T>
using Accumulators = T[Tl::kPerThreadM][Tl::kPerThreadN];

// The operands, and whether each may be read (C written) in vectors: its
// pointer 16-byte aligned and its leading dimension a multiple of 4, so
// every vector a thread touches is aligned (the host decides, once).
template <typename T>
struct GemmOperands {
  int m, n, k;
  const T* A;
  std::int64_t lda;
  const T* B;
  std::int64_t ldb;
  T* C;
  std::int64_t ldc;
  bool a_vec, b_vec, c_vec;
};

// What one thread carries from global to shared memory for one K tile.
template <typename T>
struct Fragment {
  T a[kVec], b[kVec];
};

// 4 consecutive elements from memory into registers, and back: one 16-byte
// access on the device for floats (the registers stay registers: only the
// memory side is a vector).
template <typename T>
GRID_HD inline void load4(const T* mem, T* regs) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) {
    const float4 v = *reinterpret_cast<const float4*>(mem);
    regs[0] = v.x, regs[1] = v.y, regs[2] = v.z, regs[3] = v.w;
  } else
#endif
  {
    GRID_UNROLL for (int e = 0; e < kVec; ++e) regs[e] = mem[e];
  }
}
template <typename T>
GRID_HD inline void store4(const T* regs, T* mem) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) {
    *reinterpret_cast<float4*>(mem) = make_float4(regs[0], regs[1], regs[2], regs[3]);
  } else
#endif
  {
    GRID_UNROLL for (int e = 0; e < kVec; ++e) mem[e] = regs[e];
  }
}

// store4 into global memory. The device's store is an intrinsic: with a
// plain float4 store, nvcc merged the vector branch of store_outputs with
// its scalar twin and emitted four scalar stores.
template <typename T>
GRID_HD inline void store4_global(const T* regs, T* mem) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) {
    __stwb(reinterpret_cast<float4*>(mem), make_float4(regs[0], regs[1], regs[2], regs[3]));
  } else
#endif
  {
    store4(regs, mem);
  }
}

// One link of an output's chain. Overloaded by the CPU test for a type that
// records which (i, p, j) each link joins.
GRID_HD inline float chain_fma(float a, float b, float acc) { return exact_fma(a, b, acc); }

// Thread tid's global loads of K tile t for the block at (row0, col0).
// Elements outside A or B, or past k, read as T{} (zero): they reach only
// outputs never stored, or K steps never run (multiply_tile).
template <typename Tl, typename T>
GRID_HD inline void load_fragment(const GemmOperands<T>& o, std::int64_t row0, std::int64_t col0, int t, int tid,
                                  Fragment<T>* f) {
  const int live = live_k(o.k, t);
  const std::int64_t p0 = std::int64_t{t} * kTileK;
  const std::int64_t gi = row0 + Tl::a_load_row(tid);
  const int pa = Tl::a_load_p(tid);
  if (gi < o.m && o.a_vec && live == kTileK) {
    load4(o.A + gi * o.lda + p0 + pa, f->a);
  } else {
    GRID_UNROLL for (int e = 0; e < kVec; ++e) f->a[e] = gi < o.m && pa + e < live ? o.A[gi * o.lda + p0 + pa + e] : T{};
  }
  const int pb = Tl::b_load_p(tid);
  const std::int64_t gj = col0 + Tl::b_load_col(tid);
  if (pb < live && o.b_vec && gj + kVec <= o.n) {
    load4(o.B + (p0 + pb) * o.ldb + gj, f->b);
  } else {
    GRID_UNROLL for (int e = 0; e < kVec; ++e) f->b[e] = pb < live && gj + e < o.n ? o.B[(p0 + pb) * o.ldb + gj + e] : T{};
  }
}

// Thread tid's stores of its fragment into shared buffer buf: A transposed,
// B as it is.
template <typename Tl, typename T>
GRID_HD inline void store_fragment(const Fragment<T>& f, int buf, int tid, TileBuffers<Tl, T>* s) {
  GRID_UNROLL for (int e = 0; e < kVec; ++e) s->a[buf][Tl::a_load_p(tid) + e][Tl::a_load_row(tid)] = f.a[e];
  store4(f.b, &s->b[buf][Tl::b_load_p(tid)][Tl::b_load_col(tid)]);
}

// Step p of K tile `buf` for thread (tx, ty): each of its outputs' chains
// advances by one link, acc[r][c] = fma(A[i_r][p], B[p][j_c], acc[r][c]).
template <typename Tl, typename T>
GRID_HD inline void multiply_step(const TileBuffers<Tl, T>& s, int buf, int p, int tx, int ty,
                                  Accumulators<Tl, T>& acc) {
  T a[Tl::kPerThreadM], b[Tl::kPerThreadN];
  // out_row(ty, r) for r = 4v .. 4v + 3 is a run of 4 (the CPU test checks
  // it), so vector reads give a[r] = s.a[buf][p][out_row(ty, r)].
  GRID_UNROLL for (int r = 0; r < Tl::kPerThreadM; r += kVec) load4(&s.a[buf][p][Tl::out_row(ty, r)], a + r);
  GRID_UNROLL for (int c = 0; c < Tl::kPerThreadN; c += kVec) load4(&s.b[buf][p][Tl::out_col(tx, c)], b + c);
  GRID_UNROLL
  for (int r = 0; r < Tl::kPerThreadM; ++r)
    GRID_UNROLL
    for (int c = 0; c < Tl::kPerThreadN; ++c) acc[r][c] = chain_fma(a[r], b[c], acc[r][c]);
}

// All steps of K tile t (staged in buffer_of(t)) for thread (tx, ty). A
// partial last tile runs only its live steps: a padded step would add
// fma(0, 0, acc), which turns an acc of -0 into +0.
template <typename Tl, typename T>
GRID_HD inline void multiply_tile(const TileBuffers<Tl, T>& s, int k, int t, int tx, int ty,
                                  Accumulators<Tl, T>& acc) {
  const int buf = buffer_of(t), live = live_k(k, t);
  if (live == kTileK) {
  GRID_UNROLL
    for (int p = 0; p < kTileK; ++p) multiply_step<Tl>(s, buf, p, tx, ty, acc);
  } else {
    for (int p = 0; p < live; ++p) multiply_step<Tl>(s, buf, p, tx, ty, acc);
  }
}

// Thread (tx, ty)'s outputs into C, those inside it only, in vectors of 4
// columns where C allows.
template <typename Tl, typename T>
GRID_HD inline void store_outputs(const GemmOperands<T>& o, std::int64_t row0, std::int64_t col0, int tx, int ty,
                                  const Accumulators<Tl, T>& acc) {
  GRID_UNROLL for (int r = 0; r < Tl::kPerThreadM; ++r) {
    const std::int64_t gi = row0 + Tl::out_row(ty, r);
    if (gi >= o.m) continue;
    GRID_UNROLL for (int c0 = 0; c0 < Tl::kPerThreadN; c0 += kVec) {
      const std::int64_t gj = col0 + Tl::out_col(tx, c0);
      T* dst = o.C + gi * o.ldc + gj;
      if (o.c_vec && gj + kVec <= o.n) {
        const T v[kVec] = {acc[r][c0], acc[r][c0 + 1], acc[r][c0 + 2], acc[r][c0 + 3]};
        store4_global(v, dst);
      } else {
        GRID_UNROLL for (int e = 0; e < kVec; ++e)
          if (gj + e < o.n) dst[e] = acc[r][c0 + e];
      }
    }
  }
}

}  // namespace grid::exact_tiling

#undef GRID_UNROLL

#endif  // GRID_EXACT_GEMM_TILING_H
