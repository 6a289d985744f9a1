// Exact-mode FP32 matrix multiply: C = A * B with bits fixed by definition.
//
// DEFINITION (the contract every backend and every verifier reproduces):
// A is m x k, B is k x n, C is m x n, all row-major FP32 with leading
// dimensions lda, ldb, ldc (in elements). For each C[i][j]:
//
//     float acc = +0.0f;
//     for (int p = 0; p < k; ++p) acc = fmaf(A[i][p], B[p][j], acc);
//     C[i][j] = acc;
//
// fmaf is the IEEE-754 fused multiply-add (one rounding, round-to-nearest-even,
// subnormals kept). That is one sequential chain per output element, so the
// result does not depend on tiling, thread count, SIMD width or device.
// Implementations may split the loop over p into blocks only by storing acc
// and resuming the same chain; they may never reorder, split or tree-reduce it.
//
// Consequences worth knowing:
//  - k == 0 gives C = +0 everywhere.
//  - Zero products never make -0: fmaf(-0, 1, +0) = +0 under round-to-
//    nearest, so e.g. k == 1, A = -0, B = 1 gives C = +0. A -0 result only
//    appears when a negative sum underflows to zero.
//  - Inf and NaN propagate as IEEE fma does (Inf - Inf = NaN). Which NaN
//    comes out (sign, payload) is NOT part of the contract: CPUs keep an input
//    payload, GPUs return a canonical NaN. Hash outputs with NaN canonicalized.
#ifndef GRID_EXACT_GEMM_H
#define GRID_EXACT_GEMM_H

#include <algorithm>
#include <stdexcept>
#include <string>

#include "compute/cpu_features.h"

namespace grid {

// Which CPU micro-kernel runs. All give identical bits; `best` is the
// fastest this CPU runs, unless $GRID_EXACT_KERNEL names one (so that the
// tools and benchmarks can be run on each). `portable` (plain C++, any CPU)
// exists so tests can check that the vector kernels give its bits.
enum class GemmKernel { best, avx512, avx2, portable };

// The environment variable that forces a kernel: avx512, avx2 or portable.
constexpr const char* kExactKernelEnv = "GRID_EXACT_KERNEL";

// The kernel's name as GRID_EXACT_KERNEL spells it ("best" for best).
const char* gemm_kernel_name(GemmKernel kernel);

// Whether a CPU with these features runs `kernel` (best: always).
bool gemm_kernel_runs_on(GemmKernel kernel, const CpuFeatures& cpu);

// The kernel that runs when `requested` is asked for, on a CPU with `cpu`,
// with `forced` the value of GRID_EXACT_KERNEL (nullptr or "" when unset):
// `requested` itself unless best; for best, the forced one, else the
// fastest the CPU runs. Throws Error(Exit::usage) naming the variable when
// `forced` is no kernel's name, Error(Exit::unavailable) when the kernel
// needs a feature the CPU lacks.
GemmKernel choose_gemm_kernel(GemmKernel requested, const char* forced, const CpuFeatures& cpu);

// choose_gemm_kernel for this process: $GRID_EXACT_KERNEL, read once, and
// cpu_features(). What exact_gemm_cpu runs; benchmarks print its name.
GemmKernel exact_gemm_kernel(GemmKernel requested = GemmKernel::best);

// Computes C per the DEFINITION above on the CPU with the kernel
// exact_gemm_kernel(kernel). threads <= 0 means
// std::thread::hardware_concurrency(). C must not overlap A or B.
// Throws std::invalid_argument if m, n or k is negative or a leading
// dimension is smaller than its row length (lda < k, ldb < n, ldc < n), and
// what exact_gemm_kernel throws.
void exact_gemm_cpu(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                    float* C, int ldc, int threads, GemmKernel kernel = GemmKernel::best);

// C = op(A) op(B) per the DEFINITION, with op(A)[i][p] and op(B)[p][j] in
// place of A[i][p] and B[p][j]: trans_a reads A stored k x m (op(A) = A^T),
// trans_b reads B stored n x k; lda and ldb are the stored row lengths. The
// transposed operand is read in place, into the panels the kernels read
// anyway: the same values, so the same bits as exact_gemm_cpu on an
// explicit transposed copy, without the copy. Throws as exact_gemm_cpu,
// the stored row lengths checked (lda < m when trans_a, ldb < k when
// trans_b).
void exact_gemm_cpu_t(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                      int ldb, float* C, int ldc, int threads, GemmKernel kernel = GemmKernel::best);

// The threads exact_gemm_cpu runs an m x n x k product on when asked for
// `threads` (<= 0: one per core): fewer when the product is too small to
// give each thread its share. A timing that divides CPU time among the
// threads (the challenge's on-core time) needs the number really used.
int exact_gemm_threads(int m, int n, int k, int threads, GemmKernel kernel = GemmKernel::best);

// Throws std::invalid_argument unless m, n, k >= 0, lda >= k, ldb >= n and
// ldc >= n (leading dimensions at least 1); with trans_a, lda >= m, with
// trans_b, ldb >= k (the stored row lengths). Every exact_gemm_* backend
// checks its arguments with this, so all reject the same calls.
// Inline: the CUDA backend library checks with it too, and links no CPU code.
inline void exact_gemm_check_args(int m, int n, int k, int lda, int ldb, int ldc, bool trans_a = false,
                                  bool trans_b = false) {
  if (m < 0 || n < 0 || k < 0)
    throw std::invalid_argument("exact_gemm: negative dimension m=" + std::to_string(m) +
                                " n=" + std::to_string(n) + " k=" + std::to_string(k));
  if (lda < std::max(trans_a ? m : k, 1) || ldb < std::max(trans_b ? k : n, 1) || ldc < std::max(n, 1))
    throw std::invalid_argument("exact_gemm: leading dimension too small (lda=" +
                                std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                                " ldc=" + std::to_string(ldc) + ")");
}

// C = A * B with products and sums in double (products of floats are exact in
// double), for checking exact and fast results against a tolerance. Not
// bit-reproducible across compilers; not part of any proof.
void reference_gemm_f64(int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                        double* C, int ldc);

// One entry of reference_gemm_f64, for checking sampled entries of a large
// product without computing all of it.
double reference_gemm_entry_f64(int k, const float* A, int lda, const float* B, int ldb, int i,
                                int j);

}  // namespace grid

#endif  // GRID_EXACT_GEMM_H
