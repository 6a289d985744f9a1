#include "measure/gemm_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "compute/exact_gemm.h"

namespace grid {
namespace {

constexpr std::uint32_t kSeed = 20261129;
constexpr int M = 40, N = 56, K = 256;
const double kU32 = std::ldexp(1.0, -24), kUBf16 = std::ldexp(1.0, -8);

std::vector<float> random_matrix(std::mt19937& rng, int rows, int cols) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows) * cols);
  for (float& v : x) {
    do v = dist(rng);
    while (v == 0.0f);
  }
  return x;
}

// Rounds to the nearest bfloat16 (ties to even), as a card computing in
// BF16 sees its inputs.
float to_bf16(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&x, &u, 4);
  return x;
}

struct Case {
  std::vector<float> A, B;
  std::vector<std::pair<int, int>> at;
  std::vector<float> C;  // m x n, FP32 from the exact kernel
  std::vector<float> samples() const {
    std::vector<float> got;
    for (auto [i, j] : at) got.push_back(C[static_cast<size_t>(i) * N + j]);
    return got;
  }
};

Case make_case() {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  std::mt19937 rng(kSeed);
  Case c;
  c.A = random_matrix(rng, M, K);
  c.B = random_matrix(rng, K, N);
  for (int s = 0; s < 64; ++s) c.at.emplace_back(static_cast<int>(rng() % M), static_cast<int>(rng() % N));
  c.C.resize(static_cast<size_t>(M) * N);
  exact_gemm_cpu(M, N, K, c.A.data(), K, c.B.data(), N, c.C.data(), N, 1);
  return c;
}

TEST(GemmCheck, AcceptsAnFp32ResultAndReportsItsError) {
  Case c = make_case();
  bool ok = false;
  json check = check_gemm_samples({kU32, kU32, 0}, K, c.A, c.B, N, c.at, c.samples(), &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(check["ok"], true);
  EXPECT_EQ(check["entries"], 64);
  const double worst = check["max_error_over_magnitude"];
  EXPECT_GT(worst, 0.0);  // FP32 rounding is there, and measured
  EXPECT_LT(worst, K * kU32);
}

TEST(GemmCheck, FlagsOneWrongEntryANanAndMissingValues) {
  Case c = make_case();
  bool ok = true;
  std::vector<float> got = c.samples();
  got[17] += 0.05f;  // about 1e-3 of sum |a b| (~64 here): 25 times the bound
  json check = check_gemm_samples({kU32, kU32, 0}, K, c.A, c.B, N, c.at, got, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(check["ok"], false);

  got = c.samples();
  got[0] = std::numeric_limits<float>::quiet_NaN();
  ok = true;
  check_gemm_samples({kU32, kU32, 0}, K, c.A, c.B, N, c.at, got, &ok);
  EXPECT_FALSE(ok);

  got = c.samples();
  got.pop_back();
  ok = true;
  check_gemm_samples({kU32, kU32, 0}, K, c.A, c.B, N, c.at, got, &ok);
  EXPECT_FALSE(ok);
}

// A card that computes in BF16 passes the BF16 bound but not the FP32 one:
// the profile of an FP32 flavour that silently drops precision is faulty.
TEST(GemmCheck, Bf16InputsPassTheBf16BoundButNotTheFp32One) {
  Case c = make_case();
  std::vector<float> A16(c.A), B16(c.B), C16(c.C.size());
  for (float& v : A16) v = to_bf16(v);
  for (float& v : B16) v = to_bf16(v);
  exact_gemm_cpu(M, N, K, A16.data(), K, B16.data(), N, C16.data(), N, 1);
  std::vector<float> got;
  for (auto [i, j] : c.at) got.push_back(C16[static_cast<size_t>(i) * N + j]);
  bool ok = false;
  check_gemm_samples({kUBf16, kU32, 0}, K, c.A, c.B, N, c.at, got, &ok);
  EXPECT_TRUE(ok);
  ok = true;
  check_gemm_samples({kU32, kU32, 0}, K, c.A, c.B, N, c.at, got, &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace grid
