#include "compute/exact_gemm.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

#include "code_of.h"
#include "cpu_feature_sets.h"
#include "exact_edge_cases.h"
#include "exact_shapes.h"

namespace grid {

// gtest prints a failing case's kernel by name, not as bytes (found by
// argument-dependent lookup, so outside the unnamed namespace).
void PrintTo(GemmKernel kernel, std::ostream* os) { *os << gemm_kernel_name(kernel); }

namespace {

const std::uint32_t kSeed = 7041;

// Edges of every blocking level (micro-tile 6x16, K block 256, work item
// 96x256) and a few odd sizes, up to 513x257x1031.
const std::vector<GemmShape> kEdgeShapes = {
    {1, 1, 1},     {1, 1, 7},      {2, 3, 1},     {5, 15, 3},     {6, 16, 256},
    {7, 17, 257},  {12, 32, 255},  {1, 300, 64},  {300, 1, 64},   {95, 255, 511},
    {96, 256, 512}, {97, 257, 513}, {13, 1000, 9}, {1000, 13, 9},  {64, 64, 1},
    {31, 47, 1031}, {100, 100, 100}, {191, 383, 129}, {200, 17, 600}, {513, 257, 1031},
};

// The scalar kernel is slow: it runs only on shapes up to this many fmas.
const long kPortableMaxFmas = 2000000;
// The transposed cases (three per shape) skip the largest shape: the
// packing they change is the same at every size.
const long kTransposedMaxFmas = 1 << 24;

// rows x ld values: the padding past each row's width is random too.
std::vector<float> random_matrix(std::mt19937& rng, int rows, int ld) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(rows) * ld + 1);
  for (float& v : x) {
    do v = dist(rng);
    while (v == 0.0f);
  }
  return x;
}

// The DEFINITION in exact_gemm.h, literally.
std::vector<float> definition_gemm(int m, int n, int k, const float* A, int lda, const float* B,
                                   int ldb) {
  std::vector<float> C(static_cast<std::size_t>(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int p = 0; p < k; ++p) acc = std::fma(A[i * lda + p], B[p * ldb + j], acc);
      C[i * n + j] = acc;
    }
  return C;
}

// Equal bits, except that any NaN equals any NaN (NaN payloads are outside
// the contract).
bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

::testing::AssertionResult same_floats(const std::vector<float>& got,
                                       const std::vector<float>& want, int n) {
  for (std::size_t x = 0; x < want.size(); ++x)
    if (!same_float(got[x], want[x])) {
      // One stream: AssertionResult's << would drop std::hexfloat.
      std::ostringstream text;
      text << "C[" << x / n << "][" << x % n << "] = " << std::hexfloat << got[x] << ", want "
           << want[x];
      return ::testing::AssertionFailure() << text.str();
    }
  return ::testing::AssertionSuccess();
}

std::vector<float> run_exact(int m, int n, int k, const std::vector<float>& A, int lda,
                             const std::vector<float>& B, int ldb, int threads,
                             GemmKernel kernel = GemmKernel::best) {
  std::vector<float> C(static_cast<std::size_t>(m) * n, -1.0f);
  exact_gemm_cpu(m, n, k, A.data(), lda, B.data(), ldb, C.data(), n, threads, kernel);
  return C;
}

// The kernels this CPU runs. Every one is checked against the DEFINITION
// (and the vector ones against the portable kernel, which is the
// DEFINITION's loop on a tile); a kernel the CPU lacks is skipped, by name.
const GemmKernel kKernels[] = {GemmKernel::avx512, GemmKernel::avx2, GemmKernel::portable};

std::string kernel_param_name(const ::testing::TestParamInfo<GemmKernel>& info) {
  return gemm_kernel_name(info.param);
}

class ExactGemmKernel : public ::testing::TestWithParam<GemmKernel> {
 protected:
  void SetUp() override {
    if (!gemm_kernel_runs_on(GetParam(), cpu_features()))
      GTEST_SKIP() << "this CPU does not run the " << gemm_kernel_name(GetParam()) << " kernel";
  }
  GemmKernel kernel() const { return GetParam(); }
};

// Every check of one shape list for one kernel: its bits against the
// definition for each thread count, a repeated run, and against the
// portable kernel's bits.
void check_matches_definition(const std::vector<GemmShape>& shapes, std::uint32_t seed, GemmKernel kernel) {
  std::mt19937 rng(seed);
  for (const GemmShape& s : shapes) {
    // Pad leading dimensions on some shapes so strides != widths are covered.
    const int lda = s.k + (s.m % 2), ldb = s.n + (s.k % 3);
    std::vector<float> A = random_matrix(rng, s.m, lda);
    std::vector<float> B = random_matrix(rng, s.k, ldb);
    const bool small = static_cast<long>(s.m) * s.n * s.k <= kPortableMaxFmas;
    if (kernel == GemmKernel::portable && !small) continue;
    std::vector<float> want = definition_gemm(s.m, s.n, s.k, A.data(), lda, B.data(), ldb);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " shape " << s.m << "x" << s.n << "x" << s.k
                                      << " kernel " << gemm_kernel_name(kernel));
    for (int threads : {1, 2, 3, 7}) {
      EXPECT_TRUE(same_floats(run_exact(s.m, s.n, s.k, A, lda, B, ldb, threads, kernel), want, s.n))
          << "threads " << threads;
    }
    EXPECT_TRUE(same_floats(run_exact(s.m, s.n, s.k, A, lda, B, ldb, 2, kernel), want, s.n)) << "repeated run";
    EXPECT_TRUE(same_floats(run_exact(s.m, s.n, s.k, A, lda, B, ldb, 0, kernel), want, s.n))
        << "threads 0 (hardware)";
    if (small && kernel != GemmKernel::portable) {
      EXPECT_TRUE(same_floats(run_exact(s.m, s.n, s.k, A, lda, B, ldb, 2, kernel),
                              run_exact(s.m, s.n, s.k, A, lda, B, ldb, 3, GemmKernel::portable), s.n))
          << "against the portable kernel";
    }
  }
}

// rows x cols `src` (row length ld) transposed: cols x rows, packed.
std::vector<float> transposed(const std::vector<float>& src, int rows, int cols, int ld) {
  std::vector<float> t(static_cast<std::size_t>(rows) * cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[static_cast<std::size_t>(j) * rows + i] = src[static_cast<std::size_t>(i) * ld + j];
  return t;
}

// op(A) op(B) with the transposed operands read in place: the bits of the
// definition on explicit transposed copies, for each kernel and thread
// count, with padded row lengths.
void check_transposed_match_definition(const std::vector<GemmShape>& shapes, std::uint32_t seed,
                                       GemmKernel kernel) {
  std::mt19937 rng(seed);
  for (const GemmShape& s : shapes) {
    const long fmas = static_cast<long>(s.m) * s.n * s.k;
    if (fmas > kTransposedMaxFmas || (kernel == GemmKernel::portable && fmas > kPortableMaxFmas)) continue;
    for (int trans = 1; trans < 4; ++trans) {
      const bool ta = trans & 1, tb = trans & 2;
      // Stored shapes: A is k x m when transposed, B is n x k.
      const int a_rows = ta ? s.k : s.m, a_cols = ta ? s.m : s.k, lda = a_cols + 1;
      const int b_rows = tb ? s.n : s.k, b_cols = tb ? s.k : s.n, ldb = b_cols + 2;
      const std::vector<float> A = random_matrix(rng, a_rows, lda), B = random_matrix(rng, b_rows, ldb);
      // op(A) as m x k and op(B) as k x n, packed, for the definition.
      std::vector<float> opa = ta ? transposed(A, a_rows, a_cols, lda) : A;
      std::vector<float> opb = tb ? transposed(B, b_rows, b_cols, ldb) : B;
      const std::vector<float> want =
          definition_gemm(s.m, s.n, s.k, opa.data(), ta ? s.k : lda, opb.data(), tb ? s.n : ldb);
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " shape " << s.m << "x" << s.n << "x" << s.k
                                        << " trans_a " << ta << " trans_b " << tb << " kernel "
                                        << gemm_kernel_name(kernel));
      for (int threads : {1, 3}) {
        std::vector<float> C(static_cast<std::size_t>(s.m) * s.n, -1.0f);
        exact_gemm_cpu_t(ta, tb, s.m, s.n, s.k, A.data(), lda, B.data(), ldb, C.data(), s.n, threads, kernel);
        EXPECT_TRUE(same_floats(C, want, s.n)) << "threads " << threads;
      }
    }
  }
}

// The sequential fp32 chain's error is bounded by k * 2^-24 * sum|a||b| (to
// first order); the factor 1.01 covers the higher-order terms.
void check_error_bound(const std::vector<GemmShape>& shapes, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (const GemmShape& s : shapes) {
    std::vector<float> A = random_matrix(rng, s.m, s.k);
    std::vector<float> B = random_matrix(rng, s.k, s.n);
    std::vector<float> C = run_exact(s.m, s.n, s.k, A, s.k, B, s.n, 2);
    std::vector<double> ref(static_cast<std::size_t>(s.m) * s.n);
    reference_gemm_f64(s.m, s.n, s.k, A.data(), s.k, B.data(), s.n, ref.data(), s.n);
    for (int i = 0; i < s.m; ++i)
      for (int j = 0; j < s.n; ++j) {
        double abs_sum = 0;
        for (int p = 0; p < s.k; ++p) abs_sum += std::fabs(double{A[i * s.k + p]} * B[p * s.n + j]);
        const double bound = 1.01 * s.k * std::ldexp(1.0, -24) * abs_sum + 1e-30;
        const double err = std::fabs(C[i * s.n + j] - ref[i * s.n + j]);
        ASSERT_LE(err, bound) << "seed " << seed << " shape " << s.m << "x" << s.n << "x"
                              << s.k << " at " << i << "," << j;
        if (i == s.m - 1 && j == s.n - 1) {
          ASSERT_DOUBLE_EQ(ref[i * s.n + j],
                           reference_gemm_entry_f64(s.k, A.data(), s.k, B.data(), s.n, i, j));
        }
      }
  }
}

TEST_P(ExactGemmKernel, MatchesDefinitionOnEdgeShapesAtEveryThreadCount) {
  check_matches_definition(kEdgeShapes, kSeed, kernel());
}

TEST(ExactGemm, WithinFp32ErrorBoundOfDoubleReference) { check_error_bound(kEdgeShapes, kSeed + 1); }

TEST_P(ExactGemmKernel, MatchesDefinitionOnRandomShapes) {
  SCOPED_TRACE(::testing::Message() << "shapes drawn with seed " << kRandomShapeSeed);
  check_matches_definition(random_gemm_shapes(), kSeed + 3, kernel());
}

TEST(ExactGemm, RandomShapesWithinFp32ErrorBound) {
  SCOPED_TRACE(::testing::Message() << "shapes drawn with seed " << kRandomShapeSeed);
  check_error_bound(random_gemm_shapes(), kSeed + 4);
}

TEST_P(ExactGemmKernel, TransposedOperandsReadInPlaceMatchDefinitionOnCopies) {
  check_transposed_match_definition(kEdgeShapes, kSeed + 5, kernel());
}

// The random shapes must exercise what the checks above are for: the
// threads really split the work (exact_gemm.cc gives each thread at least
// 2^21 fmas and one tile, 8x32 for the AVX-512 kernel, the largest), and
// the portable kernel runs too. A change of the seed, the draw or those
// constants that breaks this fails here.
TEST(ExactGemm, RandomShapesSplitAcrossThreadsAndReachThePortableKernel) {
  const std::vector<GemmShape> shapes = random_gemm_shapes();
  ASSERT_EQ(shapes.size(), static_cast<std::size_t>(kRandomShapeCount));
  int split3 = 0, portable = 0;
  for (const GemmShape& s : shapes) {
    SCOPED_TRACE(::testing::Message() << "seed " << kRandomShapeSeed << " shape " << s.m << "x"
                                      << s.n << "x" << s.k);
    EXPECT_TRUE(s.m >= 1 && s.m <= kRandomShapeMax.m && s.n >= 1 && s.n <= kRandomShapeMax.n &&
                s.k >= 1 && s.k <= kRandomShapeMax.k);
    const double fmas = static_cast<double>(s.m) * s.n * s.k;
    const long tiles = (s.m + 7L) / 8 * ((s.n + 31L) / 32);
    if (fmas >= 3.0 * (1 << 21) && tiles >= 3) ++split3;
    if (fmas <= kPortableMaxFmas) ++portable;
  }
  EXPECT_GE(split3, 3) << "shapes that 3 threads share";
  EXPECT_GE(portable, 3) << "shapes small enough for the portable kernel";
}

// Shapes whose A or B has fewer panels (8 rows or 32 columns for the
// AVX-512 kernel, 6 or 16 for the others) than threads, yet enough fmas
// for every thread: the packing's runs of panels and the work items are
// then split along one side only, and some threads pack nothing of one
// operand.
TEST_P(ExactGemmKernel, SkinnyShapesSplitAcrossThreadsMatchDefinition) {
  if (kernel() == GemmKernel::portable) GTEST_SKIP() << "the shapes pass the portable kernel's size limit";
  const std::vector<GemmShape> shapes = {{5, 3000, 500}, {3000, 12, 500}, {9, 1100, 700}, {1100, 40, 200}};
  for (const GemmShape& s : shapes)
    ASSERT_GE(exact_gemm_threads(s.m, s.n, s.k, 3, kernel()), 3) << s.m << "x" << s.n << "x" << s.k;
  check_matches_definition(shapes, kSeed + 6, kernel());
}

// K so long that A and B are packed in K slabs (the pack buffer holds 8
// Mi floats: slabs of 104704 steps for the AVX-512 kernel's panels of this
// shape, 139776 for the others'), with edge tiles in both directions: each
// chain stops at a slab's end, waits in C, and resumes from C in the next.
// The AVX-512 kernel's third slab is shorter than one K block, so its
// chains come from C and go back to C in one kernel call.
TEST_P(ExactGemmKernel, ChainsResumeFromCAcrossKSlabs) {
  if (kernel() == GemmKernel::portable) GTEST_SKIP() << "the shapes pass the portable kernel's size limit";
  check_matches_definition({{9, 33, 2 * 104704 + 100}}, kSeed + 8, kernel());
}

// Products from several threads at once: one gets the shared workers, the
// others workers of their own; each gives the definition's bits.
TEST_P(ExactGemmKernel, ProductsOnSeveralThreadsAtOnceMatchDefinition) {
  const GemmShape s = kernel() == GemmKernel::portable ? GemmShape{40, 70, 800} : GemmShape{130, 200, 700};
  std::mt19937 rng(kSeed + 7);
  const std::vector<float> A = random_matrix(rng, s.m, s.k), B = random_matrix(rng, s.k, s.n);
  const std::vector<float> want = definition_gemm(s.m, s.n, s.k, A.data(), s.k, B.data(), s.n);
  std::vector<std::vector<float>> got(3);
  std::vector<std::thread> callers;
  for (std::vector<float>& C : got)
    callers.emplace_back([&] {
      for (int i = 0; i < 4; ++i) C = run_exact(s.m, s.n, s.k, A, s.k, B, s.n, 2, kernel());
    });
  for (std::thread& t : callers) t.join();
  for (const std::vector<float>& C : got) EXPECT_TRUE(same_floats(C, want, s.n));
}

// Special values (signed zeros, subnormals, Inf, NaN) go through each
// kernel exactly as through the definition.
TEST_P(ExactGemmKernel, SpecialValuesFollowDefinition) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float specials[] = {0.0f,  -0.0f, FLT_TRUE_MIN, -FLT_TRUE_MIN, 0x1.8p-140f, FLT_MIN,
                            1e-30f, FLT_MAX, -FLT_MAX,   inf,           -inf,        nan,
                            1.0f,  -1.0f, 0.5f};
  const int nspecial = sizeof specials / sizeof specials[0];
  std::mt19937 rng(kSeed + 2);
  std::uniform_int_distribution<int> pick(0, nspecial - 1);
  const GemmShape shapes[] = {{7, 19, 3}, {13, 33, 300}, {6, 16, 1}, {8, 32, 257}, {17, 65, 40}};
  for (const GemmShape& s : shapes) {
    for (int density : {2, 10}) {  // many specials, then a few among ordinary values
      std::vector<float> A = random_matrix(rng, s.m, s.k);
      std::vector<float> B = random_matrix(rng, s.k, s.n);
      for (float& v : A)
        if (rng() % density == 0) v = specials[pick(rng)];
      for (float& v : B)
        if (rng() % density == 0) v = specials[pick(rng)];
      std::vector<float> want = definition_gemm(s.m, s.n, s.k, A.data(), s.k, B.data(), s.n);
      SCOPED_TRACE(::testing::Message() << "seed " << kSeed + 2 << " shape " << s.m << "x"
                                        << s.n << "x" << s.k << " density " << density);
      for (int threads : {1, 2})
        EXPECT_TRUE(same_floats(run_exact(s.m, s.n, s.k, A, s.k, B, s.n, threads, kernel()), want, s.n))
            << "threads " << threads;
    }
  }
}

TEST_P(ExactGemmKernel, SignedZeroAndSubnormalSemantics) {
  // acc starts at +0 and fma(-0, 1, +0) = +0, so a zero product gives +0.
  const std::vector<float> minus_zero{-0.0f}, one{1.0f};
  std::vector<float> C = run_exact(1, 1, 1, minus_zero, 1, one, 1, 1, kernel());
  EXPECT_EQ(std::signbit(C[0]), false);
  // An underflowing negative product rounds to -0 (the chain keeps its sign).
  const std::vector<float> tiny{-FLT_TRUE_MIN}, half{0.5f};
  C = run_exact(1, 1, 1, tiny, 1, half, 1, 1, kernel());
  EXPECT_EQ(C[0], 0.0f);
  EXPECT_TRUE(std::signbit(C[0]));
  // Subnormal products are kept, not flushed: 2^-140 * 2^-5 = 2^-145.
  const std::vector<float> sub{0x1p-140f}, frac{0x1p-5f};
  C = run_exact(1, 1, 1, sub, 1, frac, 1, 1, kernel());
  EXPECT_EQ(C[0], 0x1p-145f);
  // k = 0: every output is +0, whatever C held before.
  C = run_exact(3, 4, 0, one, 1, one, 4, 2, kernel());
  for (float v : C) EXPECT_TRUE(v == 0.0f && !std::signbit(v));
}

// The edge cases the GPU test also runs (exact_edge_cases.h), with the
// answers the DEFINITION gives.
std::vector<float> run_edge_case(const GemmEdgeCase& c, int threads, GemmKernel kernel = GemmKernel::best) {
  return run_exact(c.m, c.n, c.k, c.A, c.lda, c.B, c.ldb, threads, kernel);
}

TEST_P(ExactGemmKernel, MinusZeroChainsStayMinusZeroAtEveryKEdge) {
  for (int k : kEdgeK) {
    const GemmEdgeCase c = minus_zero_chain_case(k);
    const std::vector<float> C = run_edge_case(c, 2, kernel());
    for (std::size_t x = 0; x < C.size(); ++x)
      ASSERT_TRUE(C[x] == 0.0f && std::signbit(C[x]))
          << c.name << " C[" << x / c.n << "][" << x % c.n << "] = " << std::hexfloat << C[x];
  }
}

TEST_P(ExactGemmKernel, InfAndNanBesidePaddingStayInTheirRowAndColumns) {
  for (int k : kEdgeK) {
    const GemmEdgeCase c = inf_nan_beside_padding_case(k);
    const std::vector<float> C = run_edge_case(c, 2, kernel());
    for (int i = 0; i < c.m; ++i)
      for (int j = 0; j < c.n; ++j) {
        const float got = C[static_cast<std::size_t>(i) * c.n + j];
        SCOPED_TRACE(::testing::Message() << c.name << " C[" << i << "][" << j << "] = " << got);
        // Row m-1 meets B's NaN column in one step (Inf * NaN), the other
        // columns in k steps of Inf.
        if (j == c.n - 2) EXPECT_TRUE(std::isnan(got));
        else if (i == c.m - 1 || j == c.n - 1) EXPECT_EQ(got, std::numeric_limits<float>::infinity());
        else EXPECT_EQ(got, static_cast<float>(k));
      }
  }
}

TEST_P(ExactGemmKernel, TallerAndWiderThanTheOldGpuGridGiveExactProducts) {
  for (int k : {1, 2}) {
    const GemmEdgeCase c = tall_case(k);
    const std::vector<float> C = run_edge_case(c, 0, kernel());
    for (int i = 0; i < c.m; ++i)
      ASSERT_EQ(C[i], (k == 1 ? 1.0f : 1.5f) * static_cast<float>(i + 1)) << c.name << " row " << i;
  }
  const GemmEdgeCase c = wide_case();
  const std::vector<float> C = run_edge_case(c, 0, kernel());
  for (int j = 0; j < c.n; ++j) ASSERT_EQ(C[j], 2.0f * static_cast<float>(j + 1)) << c.name << " column " << j;
}

INSTANTIATE_TEST_SUITE_P(Kernels, ExactGemmKernel, ::testing::ValuesIn(kKernels), kernel_param_name);

#if defined(__x86_64__)

TEST(ExactGemmKernelChoice, BestIsTheFastestKernelTheCpuRuns) {
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, nullptr, avx512()), GemmKernel::avx512);
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, "", avx2_fma()), GemmKernel::avx2);
  CpuFeatures no_fma = avx2_fma();
  no_fma.fma = false;
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, nullptr, no_fma), GemmKernel::portable);
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, nullptr, CpuFeatures{}), GemmKernel::portable);
}

TEST(ExactGemmKernelChoice, TheEnvironmentForcesAKernelForBestOnly) {
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, "avx2", avx512()), GemmKernel::avx2);
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, "portable", avx512()), GemmKernel::portable);
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::best, "avx512", avx512()), GemmKernel::avx512);
  // A kernel asked for by name (the tests' and benchmarks' way) wins.
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::portable, "avx512", avx512()), GemmKernel::portable);
  EXPECT_EQ(choose_gemm_kernel(GemmKernel::avx2, "bogus", avx512()), GemmKernel::avx2);
}

TEST(ExactGemmKernelChoice, AnUnknownNameIsAUsageErrorNamingTheVariable) {
  for (const char* bad : {"AVX512", "best", "avx", " avx2", "sse"}) {
    std::string message;
    EXPECT_EQ(code_of([&] { choose_gemm_kernel(GemmKernel::best, bad, avx512()); }, &message), Exit::usage)
        << bad;
    EXPECT_EQ(message, std::string("GRID_EXACT_KERNEL=") + bad +
                           " names no exact GEMM kernel (avx512, avx2 or portable)");
  }
}

TEST(ExactGemmKernelChoice, AKernelTheCpuLacksIsUnavailable) {
  std::string message;
  EXPECT_EQ(code_of([&] { choose_gemm_kernel(GemmKernel::best, "avx512", avx2_fma()); }, &message),
            Exit::unavailable);
  EXPECT_EQ(message, "GRID_EXACT_KERNEL=avx512 needs AVX-512F, which this CPU lacks");
  EXPECT_EQ(code_of([&] { choose_gemm_kernel(GemmKernel::avx2, nullptr, CpuFeatures{}); }, &message),
            Exit::unavailable);
  EXPECT_EQ(message, "exact_gemm: the avx2 kernel needs AVX2 and FMA, which this CPU lacks");
}

#endif  // __x86_64__

// This process runs what choose_gemm_kernel picks from its environment and
// CPU, and that is a kernel the tests above ran.
TEST(ExactGemmKernelChoice, ThisProcessRunsTheChosenKernel) {
  const GemmKernel k = exact_gemm_kernel();
  EXPECT_EQ(k, choose_gemm_kernel(GemmKernel::best, std::getenv(kExactKernelEnv), cpu_features()));
  EXPECT_NE(k, GemmKernel::best);
  EXPECT_TRUE(gemm_kernel_runs_on(k, cpu_features())) << gemm_kernel_name(k);
}

TEST(ExactGemm, RejectsBadArguments) {
  float x[4] = {};
  EXPECT_THROW(exact_gemm_cpu(-1, 1, 1, x, 1, x, 1, x, 1, 1), std::invalid_argument);
  EXPECT_THROW(exact_gemm_cpu(2, 2, 2, x, 1, x, 2, x, 2, 1), std::invalid_argument);
  EXPECT_THROW(exact_gemm_cpu(2, 2, 2, x, 2, x, 2, x, 1, 1), std::invalid_argument);
  EXPECT_NO_THROW(exact_gemm_cpu(0, 0, 0, x, 1, x, 1, x, 1, 1));
  // Transposed, the stored row lengths: A is k x m, B is n x k.
  EXPECT_THROW(exact_gemm_cpu_t(true, false, 3, 1, 1, x, 2, x, 1, x, 1, 1), std::invalid_argument);
  EXPECT_THROW(exact_gemm_cpu_t(false, true, 1, 1, 3, x, 3, x, 2, x, 1, 1), std::invalid_argument);
  float c[1];
  EXPECT_NO_THROW(exact_gemm_cpu_t(true, true, 1, 1, 2, x, 1, x, 2, c, 1, 1));
}

}  // namespace
}  // namespace grid
