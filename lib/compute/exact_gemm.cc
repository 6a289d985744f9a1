#include "compute/exact_gemm.h"
#include "core/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GRID_GEMM_X86 1
#else
#define GRID_GEMM_X86 0
#endif

namespace grid {
namespace {

using Index = std::ptrdiff_t;  // i * lda overflows int on large matrices

// Micro-tile: 6 rows x 16 columns = 12 ymm accumulators, plus 2 for B and 1
// for the broadcast A value: 15 of the 16 AVX2 registers. 12 independent
// chains also cover the FMA latency x throughput of current x86 cores.
constexpr int kMR = 6;
constexpr int kNR = 16;
// K block: one packed kKC x kNR panel of B (16 KiB) stays in L1 while every
// A panel of the work item streams past it.
constexpr int kKC = 256;
// Row block: the packed A block (kMC x kKC, 96 KiB) stays in L2. Column
// width of a work item (the unit threads share out): the packed B block
// (kKC x kNC, 256 KiB) stays in L2 or L3.
constexpr int kMC = 96;
constexpr int kNC = 256;
// Enough items per thread to even out uneven items and noisy cores.
constexpr int kItemsPerThread = 4;
// Starting and joining a thread costs tens of microseconds: give each thread
// at least this many fmas (~50 us of work on one AVX2 core).
constexpr double kMinFmasPerThread = 1 << 21;
// More threads than any machine we target; also bounds the pack buffers
// that a wild `threads` argument could make us allocate.
constexpr int kMaxThreads = 1024;
static_assert(kMC % kMR == 0 && kNC % kNR == 0, "work items hold whole micro-tiles");

// Runs the chains of one kMR x kNR tile for kc steps. `a` holds kc groups of
// kMR values (column p of the A rows), `b` kc groups of kNR values (row p of
// the B columns). resume: continue the chains from c (a later K block);
// otherwise start from +0.
using MicroKernel = void (*)(int kc, const float* a, const float* b, float* c, Index ldc,
                             bool resume);

void micro_kernel_portable(int kc, const float* a, const float* b, float* c, Index ldc,
                           bool resume) {
  float acc[kMR][kNR];
  for (int r = 0; r < kMR; ++r)
    for (int j = 0; j < kNR; ++j) acc[r][j] = resume ? c[r * ldc + j] : 0.0f;
  for (int p = 0; p < kc; ++p, a += kMR, b += kNR)
    for (int r = 0; r < kMR; ++r)
      for (int j = 0; j < kNR; ++j) acc[r][j] = std::fma(a[r], b[j], acc[r][j]);
  for (int r = 0; r < kMR; ++r)
    for (int j = 0; j < kNR; ++j) c[r * ldc + j] = acc[r][j];
}

#if GRID_GEMM_X86
// Each SIMD lane is a different output column, so every lane runs its own
// sequential chain: the same operations as the scalar definition.
__attribute__((target("avx2,fma"))) void micro_kernel_avx2(int kc, const float* a,
                                                          const float* b, float* c, Index ldc,
                                                          bool resume) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (resume) {
    c00 = _mm256_loadu_ps(c + 0 * ldc), c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
    c10 = _mm256_loadu_ps(c + 1 * ldc), c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
    c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
    c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
    c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  }
  for (int p = 0; p < kc; ++p, a += kMR, b += kNR) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 ar = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ar, b0, c00), c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ar, b0, c10), c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ar, b0, c20), c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ar, b0, c30), c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ar, b0, c40), c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ar, b0, c50), c51 = _mm256_fmadd_ps(ar, b1, c51);
  }
  _mm256_storeu_ps(c + 0 * ldc, c00), _mm256_storeu_ps(c + 0 * ldc + 8, c01);
  _mm256_storeu_ps(c + 1 * ldc, c10), _mm256_storeu_ps(c + 1 * ldc + 8, c11);
  _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
  _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
  _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
  _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#endif

MicroKernel pick_kernel(GemmKernel which) {
#if GRID_GEMM_X86
  static const bool has_avx2_fma = [] {
    __builtin_cpu_init();  // needed if we are called from a static constructor
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  if (which == GemmKernel::best && has_avx2_fma) return micro_kernel_avx2;
#else
  (void)which;
#endif
  return micro_kernel_portable;
}

// Rows [0, rows) x cols [0, kc) of A into panels of kMR rows, column by
// column; rows past the edge are padded with zeros (their results are
// discarded, the padding only keeps the reads defined).
void pack_a(const float* A, Index lda, int rows, int kc, float* dst) {
  for (int r0 = 0; r0 < rows; r0 += kMR) {
    const int live = std::min(kMR, rows - r0);
    for (int p = 0; p < kc; ++p, dst += kMR) {
      for (int r = 0; r < live; ++r) dst[r] = A[(r0 + r) * lda + p];
      for (int r = live; r < kMR; ++r) dst[r] = 0.0f;
    }
  }
}

// Rows [0, kc) x cols [0, cols) of B into panels of kNR columns, row by row.
void pack_b(const float* B, Index ldb, int cols, int kc, float* dst) {
  for (int j0 = 0; j0 < cols; j0 += kNR) {
    const int live = std::min(kNR, cols - j0);
    for (int p = 0; p < kc; ++p, dst += kNR) {
      const float* src = B + p * ldb + j0;
      std::copy(src, src + live, dst);
      std::fill(dst + live, dst + kNR, 0.0f);
    }
  }
}

struct Problem {
  int m, n, k;
  const float* A;
  Index lda;
  const float* B;
  Index ldb;
  float* C;
  Index ldc;
  MicroKernel kernel;
};

// Computes outputs [i0, i1) x [j0, j0+kNC) (clipped to the matrix). Each
// packed B block is reused for all the item's rows, kMC at a time.
void run_item(const Problem& g, int i0, int i1, int j0, float* apack, float* bpack) {
  const int nc = std::min(kNC, g.n - j0);
  for (int p0 = 0; p0 < g.k; p0 += kKC) {
    const int kc = std::min(kKC, g.k - p0);
    const bool resume = p0 > 0;
    pack_b(g.B + p0 * g.ldb + j0, g.ldb, nc, kc, bpack);
    for (int ic = i0; ic < i1; ic += kMC) {
      const int mc = std::min(kMC, i1 - ic);
      pack_a(g.A + ic * g.lda + p0, g.lda, mc, kc, apack);
      for (int jr = 0; jr < nc; jr += kNR) {
        const int cols = std::min(kNR, nc - jr);
        for (int ir = 0; ir < mc; ir += kMR) {
          const int rows = std::min(kMR, mc - ir);
          float* c = g.C + (ic + ir) * g.ldc + (j0 + jr);
          const float* ap = apack + static_cast<Index>(ir) * kc;
          const float* bp = bpack + static_cast<Index>(jr) * kc;
          if (rows == kMR && cols == kNR) {
            g.kernel(kc, ap, bp, c, g.ldc, resume);
            continue;
          }
          // Edge tile: run the full-size kernel on a scratch tile so edges
          // get the same (vector) code; only live entries go back to C.
          float tile[kMR * kNR] = {};
          for (int r = 0; r < rows && resume; ++r)
            std::copy(c + r * g.ldc, c + r * g.ldc + cols, tile + r * kNR);
          g.kernel(kc, ap, bp, tile, kNR, resume);
          for (int r = 0; r < rows; ++r)
            std::copy(tile + r * kNR, tile + r * kNR + cols, c + r * g.ldc);
        }
      }
    }
  }
}

}  // namespace

int exact_gemm_threads(int m, int n, int k, int threads) {
  if (threads <= 0) threads = hardware_threads();
  const long long col_items = (n + kNC - 1LL) / kNC, row_blocks = (m + kMC - 1LL) / kMC;
  const double fmas = static_cast<double>(m) * n * k;  // double: m*n*k can pass 2^63
  const long long max_threads =
      std::min({static_cast<long long>(kMaxThreads), row_blocks * col_items,
                static_cast<long long>(std::min(fmas / kMinFmasPerThread, 1e9))});
  return static_cast<int>(std::clamp<long long>(threads, 1, std::max(1LL, max_threads)));
}

void exact_gemm_cpu(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                    float* C, int ldc, int threads, GemmKernel kernel) {
  exact_gemm_check_args(m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (Index i = 0; i < m; ++i) std::fill(C + i * ldc, C + i * ldc + n, 0.0f);
    return;
  }
  const Problem g{m, n, k, A, lda, B, ldb, C, ldc, pick_kernel(kernel)};
  threads = exact_gemm_threads(m, n, k, threads);
  // Work items: kNC columns wide, and as tall as possible (a taller item
  // packs its B block fewer times) while leaving about kItemsPerThread
  // items per thread so threads finish together.
  const long long col_items = (n + kNC - 1LL) / kNC, row_blocks = (m + kMC - 1LL) / kMC;
  const long long want_rows =
      std::min(row_blocks, (kItemsPerThread * threads + col_items - 1) / col_items);
  const long long item_rows = (row_blocks + want_rows - 1) / want_rows * kMC;
  const long long items = (m + item_rows - 1LL) / item_rows * col_items;

  // Pack buffers sized for the largest item this problem has, per thread.
  // Allocated here so a failed allocation throws in the caller's thread.
  const auto round_up = [](int x, int to) { return (x + to - 1) / to * to; };
  const Index kc = std::min(kKC, k);
  const Index a_size = round_up(std::min(kMC, m), kMR) * kc;
  const Index b_size = round_up(std::min(kNC, n), kNR) * kc;
  std::vector<float> buffers(static_cast<std::size_t>((a_size + b_size) * threads));

  // Items go to whichever thread asks next; any assignment gives the same
  // bits, because each output's chain runs whole inside one item.
  std::atomic<long long> next{0};
  auto worker = [&](int t) {
    float* apack = buffers.data() + t * (a_size + b_size);
    float* bpack = apack + a_size;
    for (long long item; (item = next.fetch_add(1)) < items;) {
      const int i0 = static_cast<int>(item / col_items * item_rows);
      const int j0 = static_cast<int>(item % col_items * kNC);
      const int i1 = static_cast<int>(std::min<long long>(m, i0 + item_rows));
      run_item(g, i0, i1, j0, apack, bpack);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker, t);
    } catch (const std::system_error&) {
      break;  // fewer threads: the calling thread picks up the remaining items
    }
  }
  worker(0);
  for (std::thread& th : pool) th.join();
}

void reference_gemm_f64(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                        double* C, int ldc) {
  exact_gemm_check_args(m, n, k, lda, ldb, ldc);
  for (Index i = 0; i < m; ++i) {
    double* c = C + i * ldc;
    std::fill(c, c + n, 0.0);
    for (Index p = 0; p < k; ++p) {
      const double a = A[i * lda + p];
      const float* b = B + p * ldb;
      for (Index j = 0; j < n; ++j) c[j] += a * static_cast<double>(b[j]);
    }
  }
}

double reference_gemm_entry_f64(int k, const float* A, int lda, const float* B, int ldb, int i,
                                int j) {
  double sum = 0.0;
  for (Index p = 0; p < k; ++p)
    sum += static_cast<double>(A[i * static_cast<Index>(lda) + p]) *
           static_cast<double>(B[p * ldb + j]);
  return sum;
}

}  // namespace grid
