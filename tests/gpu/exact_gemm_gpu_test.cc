// Exact mode on the GPU gives the same bits as on the CPU. Needs a GPU: every
// test skips when none answers (and in builds without CUDA). How to build and
// run: tests/gpu/README.md.
#include <gtest/gtest.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/exact_math.h"
#include "../unit/exact_edge_cases.h"  // the CPU test's edge cases
#include "../unit/exact_shapes.h"  // the CPU test's random shapes

namespace grid {
namespace {

const std::uint32_t kSeed = 90210;

class ExactGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  }
};

// Equal bits; any NaN equals any NaN (payloads are outside the contract).
bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::vector<float> random_matrix(std::mt19937& rng, int rows, int ld) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(rows) * ld + 1);
  for (float& v : x) {
    do v = dist(rng);
    while (v == 0.0f);
  }
  return x;
}

::testing::AssertionResult gpu_matches_cpu(int m, int n, int k, const std::vector<float>& A,
                                           int lda, const std::vector<float>& B, int ldb) {
  const int ldc = n + 3;  // padding that the GPU path must leave alone
  std::vector<float> cpu(static_cast<std::size_t>(m) * ldc, 7.0f), gpu = cpu;
  exact_gemm_cpu(m, n, k, A.data(), lda, B.data(), ldb, cpu.data(), ldc, 0);
  exact_gemm_cuda_host(m, n, k, A.data(), lda, B.data(), ldb, gpu.data(), ldc);
  for (std::size_t x = 0; x < cpu.size(); ++x)
    if (!same_float(gpu[x], cpu[x])) {
      // One stream: AssertionResult's << would drop std::hexfloat.
      std::ostringstream text;
      text << "C[" << x / ldc << "][" << x % ldc << "]: gpu " << std::hexfloat << gpu[x]
           << ", cpu " << cpu[x];
      return ::testing::AssertionFailure() << text.str();
    }
  return ::testing::AssertionSuccess();
}

TEST_F(ExactGpu, GemmMatchesCpuBitForBit) {
  // Edges of the GPU tiles (128x128, K 8, and the old 64x64, K 16), of its
  // 4-float vectors (leading dimensions below are multiples of 4 for some
  // shapes and not for others) and of the CPU blocking, and sizes large
  // enough to occupy the whole GPU; then the CPU test's random shapes.
  std::vector<GemmShape> shapes = {
      {1, 1, 1},      {1, 1, 17},      {2, 3, 1},      {63, 65, 15},
      {64, 64, 16},   {65, 63, 17},    {5, 15, 3},     {7, 17, 257},
      {1, 300, 64},   {300, 1, 64},    {95, 255, 511}, {97, 257, 513},
      {13, 1000, 9},  {1000, 13, 9},   {31, 47, 1031}, {191, 383, 129},
      {513, 257, 1031}, {1024, 1024, 1024}, {2000, 77, 3000},
      {129, 4097, 65}, {127, 129, 7}, {128, 128, 8}, {129, 131, 9},
      {4, 4, 4},      {256, 260, 24}, {255, 257, 25}, {384, 128, 2048},
      // Enough 128x128 tiles to fill any current GPU, so the large tiling
      // runs (fewer take the 32x32 one: exact_gemm_launch_grid), with edges
      // in every direction and with none.
      {1601, 1709, 263}, {2048, 2048, 64}};
  for (const GemmShape& s : random_gemm_shapes()) shapes.push_back(s);
  std::mt19937 rng(kSeed);
  for (const GemmShape& s : shapes) {
    const int lda = s.k + (s.m % 2), ldb = s.n + (s.k % 3);
    std::vector<float> A = random_matrix(rng, s.m, lda), B = random_matrix(rng, s.k, ldb);
    EXPECT_TRUE(gpu_matches_cpu(s.m, s.n, s.k, A, lda, B, ldb))
        << "seed " << kSeed << " shape " << s.m << "x" << s.n << "x" << s.k
        << " (random shapes drawn with seed " << kRandomShapeSeed << ")";
  }
}

TEST_F(ExactGpu, GemmSpecialValuesMatchCpu) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float specials[] = {0.0f,   -0.0f,   FLT_TRUE_MIN, -FLT_TRUE_MIN, 0x1.8p-140f,
                            FLT_MIN, 1e-30f, FLT_MAX,      -FLT_MAX,      inf,
                            -inf,   nan,     1.0f,         -1.0f};
  std::mt19937 rng(kSeed + 1);
  std::uniform_int_distribution<int> pick(0, sizeof specials / sizeof specials[0] - 1);
  for (int density : {2, 10}) {
    const int m = 70, n = 67, k = 40;
    std::vector<float> A = random_matrix(rng, m, k), B = random_matrix(rng, k, n);
    for (float& v : A)
      if (rng() % density == 0) v = specials[pick(rng)];
    for (float& v : B)
      if (rng() % density == 0) v = specials[pick(rng)];
    EXPECT_TRUE(gpu_matches_cpu(m, n, k, A, k, B, n)) << "seed " << kSeed + 1;
  }
  // Subnormal chains: the GPU must not flush them (--ftz=false).
  std::vector<float> A(64 * 32, 0x1p-130f), B(32 * 64, 0x1.8p-3f);
  EXPECT_TRUE(gpu_matches_cpu(64, 64, 32, A, 32, B, 64));
  // k = 0 writes +0.
  EXPECT_TRUE(gpu_matches_cpu(5, 6, 0, A, 1, B, 6));
}

// The CPU test checks these inputs' answers (tests/unit/exact_gemm_test.cc):
// -0 chains across every K edge, where a padded K step would make +0; Inf
// and NaN beside NaN-filled leading-dimension padding; and C taller and
// wider than a grid of 65535 row tiles held.
TEST_F(ExactGpu, GemmEdgeCasesMatchCpu) {
  std::vector<GemmEdgeCase> cases;
  for (int k : kEdgeK) cases.push_back(minus_zero_chain_case(k)), cases.push_back(inf_nan_beside_padding_case(k));
  cases.push_back(tall_case(1));
  cases.push_back(tall_case(2));
  cases.push_back(wide_case());
  for (const GemmEdgeCase& c : cases) EXPECT_TRUE(gpu_matches_cpu(c.m, c.n, c.k, c.A, c.lda, c.B, c.ldb)) << c.name;
}

// k = INT_MAX: the K loop's last tile starts at INT_MAX - 15, where a loop
// that adds 16 to an int overflows and reads A out of bounds. 16 GiB of
// operands on the device and on the host, and one chain of 2^31
// fmas (minutes): run by hand, with --gtest_also_run_disabled_tests.
TEST_F(ExactGpu, DISABLED_GemmWithKAtIntMaxMatchesCpu) {
  const int k = INT_MAX;
  // A = 1; B = -1 at p = 0, 1 in the last 17 steps (the last K tile and one
  // before it), 0 between: C = 16 only if every step ran, once.
  std::vector<float> A(static_cast<std::size_t>(k), 1.0f), B(static_cast<std::size_t>(k), 0.0f);
  B[0] = -1.0f;
  for (std::size_t p = B.size() - 17; p < B.size(); ++p) B[p] = 1.0f;
  EXPECT_TRUE(gpu_matches_cpu(1, 1, k, A, k, B, 1));
  float c = 0;
  exact_gemm_cuda_host(1, 1, k, A.data(), k, B.data(), 1, &c, 1);
  EXPECT_EQ(c, 16.0f);
}

TEST_F(ExactGpu, GemmRejectsBadArguments) {
  float x[4] = {};
  EXPECT_THROW(exact_gemm_cuda_host(2, 2, 2, x, 1, x, 2, x, 2), std::invalid_argument);
  // More 128x128 tiles than one launch holds: refused before any allocation.
  EXPECT_THROW(exact_gemm_cuda(INT_MAX, INT_MAX, 1, nullptr, 1, nullptr, INT_MAX, nullptr, INT_MAX, nullptr),
               DeviceError);
}

// ReLU compiles to a max with +0 that passes NaN (FMNMX.NAN): its answer for
// -0 (max(-0, +0)), +0, negative subnormals and NaNs of either sign must be
// the CPU's bits, shown here one by one.
TEST_F(ExactGpu, ReluOfSignedZerosSubnormalsAndNansIsTheCpus) {
  const std::vector<float> in = {-0.0f, 0.0f, -FLT_TRUE_MIN, FLT_TRUE_MIN, -FLT_MIN, -1.0f, 1.0f,
                                 bits_float(0x7fc00000u), bits_float(0xffc00000u), bits_float(0x7fa00000u),
                                 -std::numeric_limits<float>::infinity()};
  std::vector<float> gpu(in.size());
  exact_unary_cuda_host(ExactUnary::relu, in.data(), gpu.data(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float cpu = exact_relu(in[i]);
    EXPECT_TRUE(same_float(gpu[i], cpu)) << std::hexfloat << "relu(" << in[i] << "): gpu " << gpu[i] << " cpu " << cpu;
  }
  // Beyond same_float: zeros compare by their bits, and both must be +0.
  EXPECT_EQ(float_bits(gpu[0]), 0u) << "relu(-0)";
  EXPECT_EQ(float_bits(gpu[1]), 0u) << "relu(+0)";
  EXPECT_EQ(float_bits(gpu[2]), 0u) << "relu(-FLT_TRUE_MIN)";
  EXPECT_TRUE(std::isnan(gpu[7]) && std::isnan(gpu[8]) && std::isnan(gpu[9])) << "relu(NaN)";
}

// Positive special values of exp, log, sqrt and relu (the test adds their
// negatives): zero, the subnormal and normal extremes, Inf, NaNs, 1, and
// the edges where exp overflows, goes subnormal and underflows to 0, where
// its early returns (x > 89, x < -104) begin, and log's neighbours of 1.
std::vector<float> unary_specials() {
  std::vector<float> v = {0.0f, FLT_TRUE_MIN, 0x1p-148f, 0x1.fffffcp-127f, FLT_MIN,
                          0x1.000002p-126f, FLT_MAX, 0x1.fffffcp127f,
                          std::numeric_limits<float>::infinity(), bits_float(0x7fc00000u),
                          bits_float(0x7fa00000u), bits_float(0x7fffffffu), 1.0f,
                          0x1.fffffep-1f, 0x1.000002p0f, 0x1.6a09e6p0f, 0x1.6a09e8p0f,
                          0x1.6a09e6p-1f, 2.0f, 0.5f, 0x1p-23f, 0x1p-24f, 1e-30f,
                          // exp: last finite, first Inf, around the cut-offs 89 and -104
                          0x1.62e42ep+6f, 0x1.62e430p+6f, 88.0f, 88.7228f, 0x1.63fffep+6f,
                          89.0f, 0x1.640002p+6f, 90.0f, 0x1.9ffffep+6f, 104.0f,
                          0x1.a00002p+6f, 1e10f,
                          // exp: normal -> subnormal (-87.34) and last subnormal (-103.97)
                          87.0f, 87.3365f, 87.33655f, 87.3366f, 100.0f, 103.0f, 103.27893f,
                          103.9f, 103.972f, 103.97208f, 103.9721f,
                          // exp: k changes at +-ln2/2
                          0.34657359f, 0x1.62e430p-2f, 0x1.62e42ep-2f};
  return v;
}

TEST_F(ExactGpu, UnaryOpsMatchCpuBitForBit) {
  // Every 97th float bit pattern (44 million values, all exponents), plus
  // a dense sample of the ranges where exp and log do most of their work.
  std::vector<float> in;
  for (std::uint64_t u = 0; u <= 0xffffffffu; u += 97)
    in.push_back(bits_float(static_cast<std::uint32_t>(u)));
  std::mt19937 rng(kSeed + 2);
  std::uniform_real_distribution<float> exp_range(-104.0f, 89.0f), near_one(0.5f, 2.0f);
  for (int i = 0; i < 1000000; ++i) in.push_back(exp_range(rng)), in.push_back(near_one(rng));
  // The stride above misses the special values; every one, with both signs.
  for (float x : unary_specials()) in.push_back(x), in.push_back(-x);
  std::vector<float> gpu(in.size());
  const ExactUnary ops[] = {ExactUnary::exp, ExactUnary::log, ExactUnary::sqrt,
                            ExactUnary::relu};
  for (ExactUnary op : ops) {
    exact_unary_cuda_host(op, in.data(), gpu.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      const float cpu = exact_unary(op, in[i]);
      ASSERT_TRUE(same_float(gpu[i], cpu))
          << "op " << static_cast<int>(op) << " x=" << std::hexfloat << in[i] << " gpu "
          << gpu[i] << " cpu " << cpu;
    }
  }
}

// Every pair of special values, with both signs, for add, sub, mul and div:
// signed zeros, subnormals, the normal extremes, Inf, NaNs, and pairs whose
// sum or product overflows, underflows to a subnormal or to zero, or ties.
std::vector<float> binary_specials() {
  std::vector<float> v = {0.0f, FLT_TRUE_MIN, 0x1p-148f, 0x1.8p-148f, 0x1.fffffcp-127f,
                          FLT_MIN, 0x1.000002p-126f, 0x1p-127f, FLT_MAX, 0x1.fffffcp127f,
                          0x1p127f, 0x1p103f, 0x1.fffffep102f,
                          std::numeric_limits<float>::infinity(), bits_float(0x7fc00000u),
                          bits_float(0x7fa00000u), 1.0f, 3.0f, 0.5f, 0.75f, 1.5f, 2.0f,
                          0x1.000002p0f, 0x1.fffffep-1f, 0x1p-24f, 0x1p-25f, 0x1p64f,
                          0x1p-63f, 0x1p-75f, 0x1.000002p-75f, 0x1p-100f, 10.0f, 1e-30f, 1e30f};
  const std::size_t positives = v.size();
  for (std::size_t i = 0; i < positives; ++i) v.push_back(-v[i]);
  return v;
}

TEST_F(ExactGpu, BinaryOpsMatchCpuBitForBit) {
  std::vector<float> a, b;
  const std::vector<float> specials = binary_specials();
  for (float x : specials)
    for (float y : specials) a.push_back(x), b.push_back(y);
  // Random bit patterns: every exponent pairing, NaNs and Infs included.
  std::mt19937 rng(kSeed + 3);
  for (int i = 0; i < 300000; ++i)
    a.push_back(bits_float(static_cast<std::uint32_t>(rng()))),
        b.push_back(bits_float(static_cast<std::uint32_t>(rng())));
  // Random operands close in magnitude: cancellation in add/sub.
  std::uniform_real_distribution<float> unit(1.0f, 2.0f);
  for (int i = 0; i < 100000; ++i) a.push_back(unit(rng)), b.push_back(-unit(rng));
  std::vector<float> gpu(a.size());
  const ExactBinary ops[] = {ExactBinary::add, ExactBinary::sub, ExactBinary::mul,
                             ExactBinary::div};
  for (ExactBinary op : ops) {
    exact_binary_cuda_host(op, a.data(), b.data(), gpu.data(), a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      const float cpu = exact_binary(op, a[i], b[i]);
      ASSERT_TRUE(same_float(gpu[i], cpu))
          << "seed " << kSeed + 3 << " op " << static_cast<int>(op) << " a=" << std::hexfloat
          << a[i] << " b=" << b[i] << " gpu " << gpu[i] << " cpu " << cpu;
    }
  }
}

}  // namespace
}  // namespace grid
