#include "compute/exact_gemm_kernels.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define GRID_GEMM_X86 1
#else
#define GRID_GEMM_X86 0
#endif

namespace grid {
namespace {

using Index = std::ptrdiff_t;

// 6 rows x 16 columns: the AVX2 kernel's tile (below), which the portable
// one shares so that both run the same driver paths.
constexpr int kMR6 = 6, kNR16 = 16;
// 8 rows x 32 columns = 16 zmm accumulators, 2 for B and 1 for the
// broadcast A value. 16 independent chains cover the FMA latency x
// throughput (4 x 2) twice; a taller tile measured no faster, and 8 rows
// divide the batch and layer sizes the MLPs use, so edge tiles are rare.
constexpr int kMR8 = 8, kNR32 = 32;
// K block: a 256 x 32 panel of B (32 KiB) stays in a 48 KiB L1 while the A
// panels stream past it; the 16-column kernels' panel is half that.
constexpr int kKC = 256;

void micro_kernel_portable(int kc, const float* a, const float* b, const float* in, Index ld_in, float* out,
                           Index ld_out) {
  float acc[kMR6][kNR16];
  for (int r = 0; r < kMR6; ++r)
    for (int j = 0; j < kNR16; ++j) acc[r][j] = in ? in[r * ld_in + j] : 0.0f;
  for (int p = 0; p < kc; ++p, a += kMR6, b += kNR16)
    for (int r = 0; r < kMR6; ++r)
      for (int j = 0; j < kNR16; ++j) acc[r][j] = std::fma(a[r], b[j], acc[r][j]);
  for (int r = 0; r < kMR6; ++r)
    for (int j = 0; j < kNR16; ++j) out[r * ld_out + j] = acc[r][j];
}

#if GRID_GEMM_X86
// Each SIMD lane is a different output column, so every lane runs its own
// sequential chain: the same operations as the scalar definition.
__attribute__((target("avx2,fma"))) void micro_kernel_avx2(int kc, const float* a, const float* b, const float* in,
                                                          Index ld_in, float* out, Index ld_out) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (in) {
    c00 = _mm256_loadu_ps(in + 0 * ld_in), c01 = _mm256_loadu_ps(in + 0 * ld_in + 8);
    c10 = _mm256_loadu_ps(in + 1 * ld_in), c11 = _mm256_loadu_ps(in + 1 * ld_in + 8);
    c20 = _mm256_loadu_ps(in + 2 * ld_in), c21 = _mm256_loadu_ps(in + 2 * ld_in + 8);
    c30 = _mm256_loadu_ps(in + 3 * ld_in), c31 = _mm256_loadu_ps(in + 3 * ld_in + 8);
    c40 = _mm256_loadu_ps(in + 4 * ld_in), c41 = _mm256_loadu_ps(in + 4 * ld_in + 8);
    c50 = _mm256_loadu_ps(in + 5 * ld_in), c51 = _mm256_loadu_ps(in + 5 * ld_in + 8);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  }
  for (int p = 0; p < kc; ++p, a += kMR6, b += kNR16) {
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
  _mm256_storeu_ps(out + 0 * ld_out, c00), _mm256_storeu_ps(out + 0 * ld_out + 8, c01);
  _mm256_storeu_ps(out + 1 * ld_out, c10), _mm256_storeu_ps(out + 1 * ld_out + 8, c11);
  _mm256_storeu_ps(out + 2 * ld_out, c20), _mm256_storeu_ps(out + 2 * ld_out + 8, c21);
  _mm256_storeu_ps(out + 3 * ld_out, c30), _mm256_storeu_ps(out + 3 * ld_out + 8, c31);
  _mm256_storeu_ps(out + 4 * ld_out, c40), _mm256_storeu_ps(out + 4 * ld_out + 8, c41);
  _mm256_storeu_ps(out + 5 * ld_out, c50), _mm256_storeu_ps(out + 5 * ld_out + 8, c51);
}

// As the AVX2 kernel, 16 lanes wide. Only AVX-512F instructions (loads,
// broadcast, fma, stores), so the function attribute is all the build
// needs; the loops are unrolled whole so the accumulators stay in registers.
__attribute__((target("avx512f"))) void micro_kernel_avx512(int kc, const float* a, const float* b,
                                                           const float* in, Index ld_in, float* out, Index ld_out) {
  __m512 acc[kMR8][2];
#pragma GCC unroll 8
  for (int r = 0; r < kMR8; ++r) {
    acc[r][0] = in ? _mm512_loadu_ps(in + r * ld_in) : _mm512_setzero_ps();
    acc[r][1] = in ? _mm512_loadu_ps(in + r * ld_in + 16) : _mm512_setzero_ps();
  }
  for (int p = 0; p < kc; ++p, a += kMR8, b += kNR32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kMR8; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kMR8; ++r) {
    _mm512_storeu_ps(out + r * ld_out, acc[r][0]);
    _mm512_storeu_ps(out + r * ld_out + 16, acc[r][1]);
  }
}
#endif

// Fastest first: best is the first row the CPU runs.
const MicroKernel kKernels[] = {
#if GRID_GEMM_X86
    {GemmKernel::avx512, kMR8, kNR32, kKC, micro_kernel_avx512},
    {GemmKernel::avx2, kMR6, kNR16, kKC, micro_kernel_avx2},
#endif
    {GemmKernel::portable, kMR6, kNR16, kKC, micro_kernel_portable},
};

struct KernelName {
  GemmKernel kernel;
  const char* name;
};
const KernelName kNames[] = {{GemmKernel::best, "best"},
                             {GemmKernel::avx512, "avx512"},
                             {GemmKernel::avx2, "avx2"},
                             {GemmKernel::portable, "portable"}};

// What the CPU lacks for `kernel`, in words; "" when it runs it.
std::string missing_feature(GemmKernel kernel, const CpuFeatures& cpu) {
  const bool x86 = GRID_GEMM_X86;
  switch (kernel) {
    case GemmKernel::avx512:
      return x86 && cpu.avx512f ? "" : "AVX-512F";
    case GemmKernel::avx2:
      return x86 && cpu.avx2 && cpu.fma ? "" : "AVX2 and FMA";
    case GemmKernel::best:
    case GemmKernel::portable:
      break;
  }
  return "";
}

}  // namespace

const char* gemm_kernel_name(GemmKernel kernel) {
  for (const KernelName& k : kNames)
    if (k.kernel == kernel) return k.name;
  return "unknown";
}

bool gemm_kernel_runs_on(GemmKernel kernel, const CpuFeatures& cpu) { return missing_feature(kernel, cpu).empty(); }

GemmKernel choose_gemm_kernel(GemmKernel requested, const char* forced, const CpuFeatures& cpu) {
  std::string why = std::string("exact_gemm: the ") + gemm_kernel_name(requested) + " kernel";
  if (requested == GemmKernel::best && forced && *forced) {
    why = std::string(kExactKernelEnv) + "=" + forced;
    for (const KernelName& k : kNames)
      if (k.kernel != GemmKernel::best && std::strcmp(k.name, forced) == 0) requested = k.kernel;
    if (requested == GemmKernel::best)
      throw Error(Exit::usage, why + " names no exact GEMM kernel (avx512, avx2 or portable)");
  }
  if (requested == GemmKernel::best) {
    for (const MicroKernel& k : kKernels)
      if (gemm_kernel_runs_on(k.kernel, cpu)) return k.kernel;
  }
  const std::string missing = missing_feature(requested, cpu);
  if (!missing.empty()) throw Error(Exit::unavailable, why + " needs " + missing + ", which this CPU lacks");
  return requested;
}

GemmKernel exact_gemm_kernel(GemmKernel requested) {
  // Read once: the environment is not safe to read while another thread
  // may write it (compute/openblas.cc sets OPENBLAS_CORETYPE as it loads).
  static const std::string forced = [] {
    const char* v = std::getenv(kExactKernelEnv);
    return std::string(v ? v : "");
  }();
  static const CpuFeatures cpu = cpu_features();
  return choose_gemm_kernel(requested, forced.c_str(), cpu);
}

const MicroKernel& micro_kernel(GemmKernel kernel) {
  for (const MicroKernel& k : kKernels)
    if (k.kernel == kernel) return k;
  return kKernels[sizeof kKernels / sizeof kKernels[0] - 1];  // unreachable: exact_gemm_kernel resolved it
}

}  // namespace grid
