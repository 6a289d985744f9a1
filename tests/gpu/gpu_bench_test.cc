// gpu-bench's CUDA measurements (gpu_bench_cuda.h) compute the right thing
// and return sane times. Needs a GPU: every test skips when none answers
// (and in builds without CUDA). How to build and run: tests/gpu/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/gpu_bench_cuda.h"
#include "compute/seeded_matrix.h"

namespace grid {
namespace {

const std::uint64_t kSeed = 20240607;
const int kDev = 0;

class GpuBench : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  }
};

// Error model of each flavour, the same numbers as lib/measure/bench_gemm.cc.
struct Tolerance {
  double input_unit_roundoff, accum_unit_roundoff, input_abs_error;
};

Tolerance tolerance_of(CudaGemm g) {
  const double u32 = std::ldexp(1.0, -24);
  switch (g) {
    case CudaGemm::exact_f32:
    case CudaGemm::f32: return {u32, u32, 0};
    case CudaGemm::tf32: return {std::ldexp(1.0, -11), u32, 0};
    case CudaGemm::bf16: return {std::ldexp(1.0, -8), u32, 0};
    case CudaGemm::fp16: return {std::ldexp(1.0, -11), u32, std::ldexp(1.0, -25)};
    case CudaGemm::fp8: return {std::ldexp(1.0, -4), u32, std::ldexp(1.0, -10)};
  }
  return {0, 0, 0};
}

// check_samples' bound from lib/measure/bench_gemm.cc:
// |c - ref| <= 2 ((2 u_in + k u_acc) sum |a||b| + 2 k e_abs) + 1e-30.
::testing::AssertionResult samples_within_bound(CudaGemm g, int n, int k, const std::vector<float>& A,
                                                const std::vector<float>& B,
                                                const std::vector<std::pair<int, int>>& at,
                                                const std::vector<float>& got) {
  if (got.size() != at.size())
    return ::testing::AssertionFailure() << got.size() << " samples for " << at.size() << " positions";
  const Tolerance t = tolerance_of(g);
  for (std::size_t s = 0; s < at.size(); ++s) {
    const auto [i, j] = at[s];
    double ref = 0, mag = 0;
    for (int p = 0; p < k; ++p) {
      const double prod = static_cast<double>(A[std::size_t(i) * k + p]) * B[std::size_t(p) * n + j];
      ref += prod;
      mag += std::fabs(prod);
    }
    const double bound =
        2 * ((2 * t.input_unit_roundoff + k * t.accum_unit_roundoff) * mag + 2.0 * k * t.input_abs_error) + 1e-30;
    const double err = std::fabs(static_cast<double>(got[s]) - ref);
    if (!(err <= bound))
      return ::testing::AssertionFailure() << "C[" << i << "][" << j << "] = " << got[s] << ", reference " << ref
                                           << ", error " << err << " > bound " << bound;
  }
  return ::testing::AssertionSuccess();
}

// Random positions plus the four corners, which catch a transposed or
// mirrored C.
std::vector<std::pair<int, int>> positions(int m, int n) {
  std::vector<std::pair<int, int>> at = {{0, 0}, {0, n - 1}, {m - 1, 0}, {m - 1, n - 1}};
  std::mt19937 rng(static_cast<std::uint32_t>(kSeed));
  for (int s = 0; s < 64; ++s) at.emplace_back(static_cast<int>(rng() % m), static_cast<int>(rng() % n));
  return at;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

class GpuGemmFlavour : public GpuBench, public ::testing::WithParamInterface<CudaGemm> {};

TEST_P(GpuGemmFlavour, SampledEntriesMatchFloat64Reference) {
  const CudaGemm g = GetParam();
  if (!cuda_gemm_supported(kDev, g)) GTEST_SKIP() << cuda_gemm_name(g) << " is not supported by this GPU";
  struct Shape {
    int m, n, k;
  };
  // 512^3 as the bench runs it, and a rectangular shape (every dimension
  // different, all multiples of 16 for FP8) that a layout mix-up would fail.
  for (Shape s : {Shape{512, 512, 512}, Shape{384, 256, 528}}) {
    const auto A = seeded_matrix(kSeed, kStreamA, s.m, s.k);
    const auto B = seeded_matrix(kSeed, kStreamB, s.k, s.n);
    const auto at = positions(s.m, s.n);
    CudaGemmRun run;
    try {
      run = cuda_gemm_run(kDev, g, s.m, s.n, s.k, A.data(), B.data(), at, 1, 3);
    } catch (const DeviceError& e) {
      // cuBLASLt's heuristic may offer no algorithm for a type at one size
      // though it did at the probe's (FP8 with FP32 output, say): no answer,
      // so no wrong one. Any other device error fails the test.
      if (std::string(e.what()).find("offers no algorithm") == std::string::npos) throw;
      GTEST_SKIP() << e.what();
    }
    ASSERT_EQ(run.seconds.size(), 3u);
    for (double t : run.seconds) EXPECT_GT(t, 0.0);
    EXPECT_TRUE(samples_within_bound(g, s.n, s.k, A, B, at, run.samples))
        << cuda_gemm_name(g) << " " << s.m << "x" << s.n << "x" << s.k << " seed " << kSeed;
  }
}

INSTANTIATE_TEST_SUITE_P(AllFlavours, GpuGemmFlavour,
                         ::testing::Values(CudaGemm::exact_f32, CudaGemm::f32, CudaGemm::tf32, CudaGemm::bf16,
                                           CudaGemm::fp16, CudaGemm::fp8),
                         [](const ::testing::TestParamInfo<CudaGemm>& info) {
                           return std::string(cuda_gemm_name(info.param));
                         });

TEST_F(GpuBench, GemmRejectsBadArguments) {
  std::vector<float> x(64 * 64, 0.5f);
  EXPECT_THROW(cuda_gemm_run(kDev, CudaGemm::f32, 0, 4, 4, x.data(), x.data(), {}, 0, 1), std::invalid_argument);
  EXPECT_THROW(cuda_gemm_run(kDev, CudaGemm::f32, 4, 4, 4, x.data(), x.data(), {{4, 0}}, 0, 1),
               std::invalid_argument);
  if (cuda_gemm_supported(kDev, CudaGemm::fp8)) {  // FP8 needs k % 16 == 0
    EXPECT_THROW(cuda_gemm_run(kDev, CudaGemm::fp8, 32, 32, 24, x.data(), x.data(), {}, 0, 1), DeviceError);
  }
}

TEST_F(GpuBench, ExactGemmTimedMatchesCpuBitForBit) {
  struct Shape {
    int m, n, k;
  };
  for (Shape s : {Shape{512, 512, 512}, Shape{300, 200, 77}, Shape{1, 65, 1}}) {
    const auto A = seeded_matrix(kSeed, kStreamA, s.m, s.k);
    const auto B = seeded_matrix(kSeed, kStreamB, s.k, s.n);
    std::vector<float> gpu(std::size_t(s.m) * s.n, 7.0f), cpu(gpu.size());
    const double seconds = cuda_exact_gemm_timed(kDev, s.m, s.n, s.k, A.data(), B.data(), gpu.data());
    EXPECT_GT(seconds, 0.0);
    exact_gemm_cpu(s.m, s.n, s.k, A.data(), s.k, B.data(), s.n, cpu.data(), s.n, 0);
    for (std::size_t x = 0; x < cpu.size(); ++x)
      ASSERT_TRUE(same_bits(gpu[x], cpu[x])) << s.m << "x" << s.n << "x" << s.k << " C[" << x / s.n << "]["
                                             << x % s.n << "]: gpu " << std::hexfloat << gpu[x] << ", cpu "
                                             << cpu[x] << " seed " << kSeed;
  }
}

TEST_F(GpuBench, BandwidthTimesArePositive) {
  // 64 MiB, plus 12 bytes so the triad's tail (n % 4 floats) runs too.
  const std::size_t bytes = (std::size_t{64} << 20) + 12;
  for (auto* time : {cuda_time_copy, cuda_time_triad, cuda_time_h2d, cuda_time_d2h}) {
    const std::vector<double> seconds = time(kDev, bytes, 1, 3);
    ASSERT_EQ(seconds.size(), 3u);
    for (double t : seconds) EXPECT_GT(t, 0.0);
  }
}

TEST_F(GpuBench, NcclAllReduceSumsEveryRank) {
  // 8 B (2 floats), a size that is not a whole number of floats, and 4 MiB.
  for (std::size_t bytes : {std::size_t{8}, std::size_t{6}, std::size_t{4} << 20}) {
    const NcclRun run = cuda_nccl_allreduce(bytes, 1, 3);
    ASSERT_EQ(run.seconds.size(), 3u);
    for (double t : run.seconds) EXPECT_GT(t, 0.0);
    EXPECT_TRUE(run.correct) << bytes << " bytes on " << cuda_device_count() << " GPUs";
  }
}

TEST_F(GpuBench, NcclAllReduceOfOneRankFromAUniqueIdSumsItsOwn) {
  // The multi-process path (gpu-bench under mpirun) as a world of one: the
  // id made here, ncclCommInitRank with rank 0 of 1; the sum is 1.
  const std::string id = cuda_nccl_unique_id();
  ASSERT_EQ(id.size(), 128u);
  const NcclRun run = cuda_nccl_allreduce_rank(id, 0, 1, kDev, std::size_t{4} << 20, 1, 3);
  ASSERT_EQ(run.seconds.size(), 3u);
  for (double t : run.seconds) EXPECT_GT(t, 0.0);
  EXPECT_TRUE(run.correct);
  EXPECT_THROW(cuda_nccl_allreduce_rank("short", 0, 1, kDev, 8, 0, 1), DeviceError);
}

TEST_F(GpuBench, FactsDescribeARealGpu) {
  const CudaFacts f = cuda_facts(kDev);
  EXPECT_FALSE(f.name.empty());
  EXPECT_GE(f.cc_major, 8);
  EXPECT_GT(f.sms, 0);
  EXPECT_GT(f.memory_bytes, 0u);
  EXPECT_GT(f.driver_version, 0);
  EXPECT_GT(f.runtime_version, 0);
  EXPECT_GT(f.sm_clock_mhz, 0);
  EXPECT_GT(f.memory_clock_mhz, 0);
  EXPECT_GT(f.memory_bus_bits, 0);
}

}  // namespace
}  // namespace grid
