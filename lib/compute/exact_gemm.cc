#include "compute/exact_gemm.h"
#include "core/parallel_for.h"
#include "core/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include <sys/mman.h>

#include "compute/exact_gemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace grid {
namespace {

using Index = std::ptrdiff_t;  // i * lda overflows int on large matrices

// A work item (the unit threads share out) is at most kMC rows by kNC
// columns of C. Its A block (kMC x kc, 192 KiB) stays in L2 while each B
// chunk of the item (kc x nr, in L1) passes over it, and its chains (192
// KiB) stay in L2 from one K block to the next; 1024 columns, whose
// chains do not, measured a tenth slower at n = 2048.
constexpr int kMC = 192;
constexpr int kNC = 256;
constexpr std::size_t kCacheLine = 64;  // bytes
// Enough items per thread to even out uneven items and noisy cores.
constexpr int kItemsPerThread = 4;
// Waking a worker and waiting for it costs microseconds: give each thread
// at least this many fmas (~50 us of work on one AVX2 core).
constexpr double kMinFmasPerThread = 1 << 21;
// Runs of panels per thread in the packing: enough to even out runs that
// other processes slow down, few enough that a run of B panels reads a
// long stretch of each row of B.
constexpr int kPackRunsPerThread = 4;
// A and B are packed whole, once, when that takes at most this many floats
// (32 MiB: n = 2048). Larger products go in K slabs of that size, one after
// the other: every chain stops at a slab's end and resumes in the next.
constexpr Index kMaxPackFloats = Index{8} << 20;

// The packed operands of one K slab: A as panels of mr rows, B as panels
// of nr columns, each cut into chunks of one K block (kc steps, p-major:
// kc groups of mr or nr values). A K block's chunks of all panels lie side
// by side, so the chunks a work item runs over are contiguous; laid out
// panel by panel instead, they sit a power of two apart at n = 2048 and
// fight over the same few cache sets. Rows and columns past the edges are
// padded with zeros: their results are discarded, the padding only keeps
// the reads defined.
struct Packed {
  float* a;
  float* b;
  int row_panels, col_panels, mr, nr, kc, kslab;

  // The chunk of panel ip (jp) for the K block that starts at pc.
  float* a_chunk(int ip, int pc) const {
    return a + static_cast<Index>(pc) * row_panels * mr + static_cast<Index>(ip) * mr * std::min(kc, kslab - pc);
  }
  float* b_chunk(int jp, int pc) const {
    return b + static_cast<Index>(pc) * col_panels * nr + static_cast<Index>(jp) * nr * std::min(kc, kslab - pc);
  }
};

#if defined(__x86_64__)
// dst[p * ldd + r] = src[r * lds + p] for r, p < 8: an 8 x 8 block
// transposed in registers (the usual unpack, shuffle, permute).
__attribute__((target("avx2"))) void transpose_8x8(const float* src, Index lds, float* dst, Index ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

// dst[p * width + r] = src[r * lds + p] for r < live, p < kslab, and 0 for
// live <= r < width: `live` rows of the source, p-major. The gather that
// packing an untransposed A (or a transposed B) needs; 8 x 8 blocks go
// through registers where the CPU has AVX2.
void pack_gather(const float* src, Index lds, int live, int width, int kslab, float* dst) {
  int p = 0;
#if defined(__x86_64__)
  static const bool avx2 = cpu_features().avx2;
  if (avx2 && live == width && width % 8 == 0)
    for (; p + 8 <= kslab; p += 8)
      for (int r = 0; r < width; r += 8) transpose_8x8(src + r * lds + p, lds, dst + p * width + r, width);
#endif
  for (; p < kslab; ++p) {
    float* d = dst + p * width;
    for (int r = 0; r < live; ++r) d[r] = src[r * lds + p];
    std::fill(d + live, d + width, 0.0f);
  }
}

// dst[0, width) = src[0, live) and zeros. A full row is a copy of a size
// the compiler knows, so it is inlined as a few vector moves (a memcpy
// call per row of 32 floats cost more than the row).
inline void copy_row(const float* src, int live, int width, float* dst) {
  if (live == width) {
    switch (width) {
      case 32: return static_cast<void>(std::memcpy(dst, src, 32 * sizeof(float)));
      case 16: return static_cast<void>(std::memcpy(dst, src, 16 * sizeof(float)));
      case 8: return static_cast<void>(std::memcpy(dst, src, 8 * sizeof(float)));
      case 6: return static_cast<void>(std::memcpy(dst, src, 6 * sizeof(float)));
      default: break;
    }
  }
  std::copy(src, src + live, dst);
  std::fill(dst + live, dst + width, 0.0f);
}

// Panels [q0, q1) of one operand: rows of op(A) (width mr) or columns of
// op(B) (width nr), of `extent` in all (m or n), over the slab's kslab
// steps, into chunk(q, pc). `src` points at the slab's first value. When
// each step's values are contiguous (op(A) transposed, op(B) not), a step's
// values of all the panels are copied in one pass, so the reads run along
// the source's rows; otherwise each panel is gathered.
template <typename Chunk>
void pack_panels(const float* src, Index ld, bool contiguous, int extent, int width, int q0, int q1, int kc_block,
                 int kslab, const Chunk& chunk) {
  for (int pc = 0; pc < kslab; pc += kc_block) {
    const int kc = std::min(kc_block, kslab - pc);
    if (contiguous) {
      for (int p = 0; p < kc; ++p)
        for (int q = q0; q < q1; ++q)
          copy_row(src + (pc + p) * ld + q * width, std::min(width, extent - q * width), width,
                   chunk(q, pc) + p * width);
    } else {
      for (int q = q0; q < q1; ++q)
        pack_gather(src + static_cast<Index>(q) * width * ld + pc, ld, std::min(width, extent - q * width), width, kc,
                    chunk(q, pc));
    }
  }
}

// Memory for packed operands and chains, not zeroed (every float read is
// written first). From 2 MiB up, on transparent huge pages where the
// system allows: the packed operands of an n = 1024 product span 2048
// pages of 4 KiB, more than the TLB holds (n = 1024 measured 2% faster).
struct FreeFloats {
  void operator()(float* p) const { std::free(p); }
};
using Floats = std::unique_ptr<float[], FreeFloats>;

constexpr std::size_t kHugePage = std::size_t{2} << 20;

Floats allocate_floats(Index floats) {
  std::size_t bytes = static_cast<std::size_t>(floats) * sizeof(float);
  const std::size_t align = bytes >= kHugePage ? kHugePage : kCacheLine;
  bytes = (bytes + align - 1) / align * align;  // aligned_alloc's rule
  void* p = std::aligned_alloc(align, bytes);
  if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  // A hint: where it is refused, the pages are ordinary ones.
  if (align == kHugePage) ::madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return Floats(static_cast<float*>(p));
}

// The pack buffer, kept from call to call: a fresh one of tens of MiB
// costs a page fault per 4 KiB on first touch, a tenth of an n = 2048
// product's time, and training runs the same small products thousands of
// times. One call at a time uses it; a call that finds it taken (a GEMM
// on another thread) allocates its own.
std::mutex g_pack_mu;
Floats g_pack;
Index g_pack_size = 0;

class PackBuffer {
 public:
  explicit PackBuffer(Index floats) : lock_(g_pack_mu, std::try_to_lock) {
    if (!lock_.owns_lock()) {
      own_ = allocate_floats(floats);
      data_ = own_.get();
      return;
    }
    if (g_pack_size < floats) {
      g_pack_size = 0;
      g_pack.reset();
      g_pack = allocate_floats(floats);
      g_pack_size = floats;
    }
    data_ = g_pack.get();
  }
  float* data() const { return data_; }

 private:
  std::unique_lock<std::mutex> lock_;
  Floats own_;
  float* data_ = nullptr;
};

struct Problem {
  int m, n, k;
  const float* A;
  Index lda;
  const float* B;
  Index ldb;
  float* C;
  Index ldc;
  const MicroKernel* kernel;
  int row_panels, col_panels;
};

// One item's outputs, rows in panels [ip0, ip1) and columns in panels
// [jp0, jp1), for the slab of K that starts at s0. Between K blocks the
// chains wait in `chains`, tile after tile in the order the tiles run,
// each mr x nr contiguous: kept in C, a tile's rows are ldc apart, which
// at a power-of-two n puts them all in one L1 set, and the tiles before
// and after fight them for it (n = 1024 measured 4% slower so). C is read
// only where a slab resumes the chains of the one before, and written
// only at the slab's last K block.
void run_item(const Problem& g, const Packed& pk, int s0, int kslab, int ip0, int ip1, int jp0, int jp1,
              float* chains) {
  const MicroKernel& kn = *g.kernel;
  const Index tile = static_cast<Index>(kn.mr) * kn.nr;
  for (int pc = 0; pc < kslab; pc += kn.kc) {
    const int kc = std::min(kn.kc, kslab - pc);
    const bool first = pc == 0, last = pc + kc == kslab;
    float* t = chains;
    for (int jp = jp0; jp < jp1; ++jp) {
      const int cols = std::min(kn.nr, g.n - jp * kn.nr);
      const float* bp = pk.b_chunk(jp, pc);
      for (int ip = ip0; ip < ip1; ++ip, t += tile) {
        const int rows = std::min(kn.mr, g.m - ip * kn.mr);
        const float* ap = pk.a_chunk(ip, pc);
        float* c = g.C + static_cast<Index>(ip) * kn.mr * g.ldc + static_cast<Index>(jp) * kn.nr;
        const float* in = first ? (s0 > 0 ? c : nullptr) : t;
        if (rows == kn.mr && cols == kn.nr) {
          kn.run(kc, ap, bp, in, in == c ? g.ldc : kn.nr, last ? c : t, last ? g.ldc : kn.nr);
          continue;
        }
        // Edge tile: the full-size kernel on its chain tile, so edges get
        // the same (vector) code; only live entries come from and go to C.
        // The padding starts from zeros: its results are discarded, but
        // every value read is defined.
        if (in == c) {
          std::fill(t, t + tile, 0.0f);
          for (int r = 0; r < rows; ++r) std::copy(c + r * g.ldc, c + r * g.ldc + cols, t + r * kn.nr);
          in = t;
        }
        kn.run(kc, ap, bp, in, kn.nr, t, kn.nr);
        if (last)
          for (int r = 0; r < rows; ++r) std::copy(t + r * kn.nr, t + r * kn.nr + cols, c + r * g.ldc);
      }
    }
  }
}

// How a product is cut: the panels of the kernel's tile, and the threads.
struct Plan {
  int row_panels, col_panels;
  int threads;
};

Plan plan_of(int m, int n, int k, int threads, const MicroKernel& kn) {
  Plan p;
  p.row_panels = (m + kn.mr - 1) / kn.mr;
  p.col_panels = (n + kn.nr - 1) / kn.nr;
  if (threads <= 0) threads = hardware_threads();
  const double fmas = static_cast<double>(m) * n * k;  // double: m*n*k can pass 2^63
  const double max_threads = std::min({double{WorkerPool::kMaxThreads},
                                       static_cast<double>(p.row_panels) * p.col_panels, fmas / kMinFmasPerThread});
  p.threads = static_cast<int>(std::clamp<double>(threads, 1, std::max(1.0, max_threads)));
  return p;
}

// The work items: rp x cp panels each (fewer at the bottom and right
// edges), rows x cols of them, count in all.
struct Items {
  int rp, cp, rows, cols;
  long long count;
};

// Items of kMC x kNC at most, split (the longer side in halves) until
// there are about kItemsPerThread per thread, so threads finish together.
Items items_of(const Plan& plan, const MicroKernel& kn) {
  int rp = std::min(plan.row_panels, std::max(1, kMC / kn.mr));
  int cp = std::min(plan.col_panels, std::max(1, kNC / kn.nr));
  const auto count = [&](int r, int c) {
    return static_cast<long long>((plan.row_panels + r - 1) / r) * ((plan.col_panels + c - 1) / c);
  };
  while (plan.threads > 1 && count(rp, cp) < kItemsPerThread * plan.threads && (rp > 1 || cp > 1)) {
    const bool rows_longer = static_cast<long long>(rp) * kn.mr >= static_cast<long long>(cp) * kn.nr;
    if ((rows_longer && rp > 1) || cp == 1) rp = (rp + 1) / 2;
    else cp = (cp + 1) / 2;
  }
  const int rows = (plan.row_panels + rp - 1) / rp, cols = (plan.col_panels + cp - 1) / cp;
  return {rp, cp, rows, cols, static_cast<long long>(rows) * cols};
}

// The first of `total` panels in run r of `runs` (run r is [share(r),
// share(r + 1))): runs differ by at most one panel.
int share(int total, int runs, int r) { return static_cast<int>(static_cast<long long>(total) * r / runs); }

}  // namespace

int exact_gemm_threads(int m, int n, int k, int threads, GemmKernel kernel) {
  return plan_of(m, n, k, threads, micro_kernel(exact_gemm_kernel(kernel))).threads;
}

void exact_gemm_cpu(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                    float* C, int ldc, int threads, GemmKernel kernel) {
  exact_gemm_cpu_t(false, false, m, n, k, A, lda, B, ldb, C, ldc, threads, kernel);
}

void exact_gemm_cpu_t(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                      int ldb, float* C, int ldc, int threads, GemmKernel kernel) {
  exact_gemm_check_args(m, n, k, lda, ldb, ldc, trans_a, trans_b);
  const MicroKernel& kn = micro_kernel(exact_gemm_kernel(kernel));
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (Index i = 0; i < m; ++i) std::fill(C + i * ldc, C + i * ldc + n, 0.0f);
    return;
  }
  const Plan plan = plan_of(m, n, k, threads, kn);
  const Problem g{m, n, k, A, lda, B, ldb, C, ldc, &kn, plan.row_panels, plan.col_panels};
  const Items items = items_of(plan, kn);

  // The K slab: all of K when A and B packed fit kMaxPackFloats.
  const Index per_p = static_cast<Index>(g.row_panels) * kn.mr + static_cast<Index>(g.col_panels) * kn.nr;
  const int ks = static_cast<int>(std::min<Index>(k, std::max<Index>(kn.kc, kMaxPackFloats / per_p / kn.kc * kn.kc)));
  // After the packed operands, from a cache line on (so that the kernels'
  // vectors of a chain tile never straddle two), each thread's chains of
  // one item (run_item).
  constexpr Index line = kCacheLine / sizeof(float);
  const Index packed = (per_p * ks + line - 1) / line * line;
  const Index item_chains = static_cast<Index>(items.rp) * kn.mr * items.cp * kn.nr;
  // Allocated here so that a failed allocation throws in the caller's thread.
  PackBuffer buffer(packed + plan.threads * item_chains);
  WorkerPool& pool = WorkerPool::shared();

  for (int s0 = 0; s0 < k; s0 += ks) {
    const int kslab = std::min(ks, k - s0);
    const Packed pk{buffer.data(), buffer.data() + static_cast<Index>(g.row_panels) * kn.mr * kslab,
                    g.row_panels, g.col_panels, kn.mr, kn.nr, kn.kc, kslab};
    float* const chains = buffer.data() + packed;
    // All threads pack, then all multiply: no thread waits for a panel
    // another is packing, and the runs of panels go to whichever thread
    // asks next, so a thread that other processes slow down holds up no
    // one for long.
    std::atomic<int> next_run{0};
    pool.run(plan.threads, [&](int, int count) {
      const int a_runs = std::min(g.row_panels, kPackRunsPerThread * count);
      const int b_runs = std::min(g.col_panels, kPackRunsPerThread * count);
      for (int r; (r = next_run.fetch_add(1, std::memory_order_relaxed)) < a_runs + b_runs;) {
        if (r < a_runs) {
          pack_panels(A + (trans_a ? s0 * g.lda : s0), g.lda, trans_a, m, kn.mr, share(g.row_panels, a_runs, r),
                      share(g.row_panels, a_runs, r + 1), kn.kc, kslab,
                      [&](int ip, int pc) { return pk.a_chunk(ip, pc); });
        } else {
          const int b = r - a_runs;
          pack_panels(B + (trans_b ? s0 : s0 * g.ldb), g.ldb, !trans_b, n, kn.nr, share(g.col_panels, b_runs, b),
                      share(g.col_panels, b_runs, b + 1), kn.kc, kslab,
                      [&](int jp, int pc) { return pk.b_chunk(jp, pc); });
        }
      }
    });
    // Items go to whichever thread asks next; any assignment gives the same
    // bits, because each output's chain runs in step order within the slab.
    std::atomic<long long> next_item{0};
    pool.run(plan.threads, [&](int t, int) {
      for (long long item; (item = next_item.fetch_add(1, std::memory_order_relaxed)) < items.count;) {
        const int ip0 = static_cast<int>(item / items.cols) * items.rp;
        const int jp0 = static_cast<int>(item % items.cols) * items.cp;
        run_item(g, pk, s0, kslab, ip0, std::min(g.row_panels, ip0 + items.rp), jp0,
                 std::min(g.col_panels, jp0 + items.cp), chains + t * item_chains);
      }
    });
  }
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
