#include "compute/freivalds.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace grid {
namespace {

// freivalds_products against a plain long double loop on random data, for
// shapes with odd rows and columns that are not a multiple of 8, with and
// without weights, on 1 and 2 threads.
TEST(Freivalds, ProductsMatchAPlainLoop) {
  std::mt19937_64 rng(20261128);
  std::uniform_real_distribution<float> value(-3.0f, 3.0f);
  const int P = kFreivaldsProbes;
  for (auto [rows, cols] : {std::pair<int, int>{1, 1}, {3, 7}, {8, 8}, {17, 33}, {64, 1031}}) {
    std::vector<float> M(static_cast<size_t>(rows) * cols);
    for (float& x : M) x = value(rng);
    std::vector<double> V(static_cast<size_t>(cols) * P), w(cols);
    for (double& x : V) x = rng() & 1 ? 1.0 : -1.0;
    for (double& x : w) x = std::fabs(value(rng));
    for (int threads : {1, 2})
      for (bool weighted : {false, true}) {
        std::vector<double> out(static_cast<size_t>(rows) * P, NAN), abs_out(rows, NAN);
        freivalds_products(M.data(), rows, cols, V.data(), weighted ? w.data() : nullptr, out.data(), abs_out.data(),
                           threads);
        for (int i = 0; i < rows; ++i) {
          long double want_abs = 0;
          for (int j = 0; j < cols; ++j)
            want_abs += std::fabs(static_cast<long double>(M[i * cols + j])) * (weighted ? w[j] : 1.0);
          EXPECT_NEAR(abs_out[i], static_cast<double>(want_abs), 1e-12 * static_cast<double>(want_abs) + 1e-300)
              << rows << "x" << cols << " row " << i;
          for (int t = 0; t < P; ++t) {
            long double want = 0;
            for (int j = 0; j < cols; ++j) want += static_cast<long double>(M[i * cols + j]) * V[j * P + t];
            EXPECT_NEAR(out[i * P + t], static_cast<double>(want), 1e-12 * static_cast<double>(want_abs))
                << rows << "x" << cols << " row " << i << " probe " << t;
          }
        }
      }
  }
}

// The summation order freivalds_products fixes, written out one scalar
// at a time: each probe sum over the columns in order; |M| w in eight
// partial sums (column j into j % 8) over the whole blocks of 8, the
// columns past them summed in order first, then the eight added on. Every
// SIMD width the CPU picks must give these very bits (EXPECT_EQ, not
// NEAR), so that a result checked on one machine checks alike on another.
TEST(Freivalds, EveryVectorWidthGivesTheBitsOfTheScalarOrder) {
  std::mt19937_64 rng(20261207);
  std::uniform_real_distribution<float> value(-3.0f, 3.0f);
  std::uniform_real_distribution<double> probe(-2.0, 2.0);
  const int P = kFreivaldsProbes;
  for (auto [rows, cols] : {std::pair<int, int>{1, 1}, {3, 7}, {2, 8}, {17, 33}, {9, 1031}, {4, 2048}}) {
    std::vector<float> M(static_cast<size_t>(rows) * cols);
    for (float& x : M) x = value(rng);
    std::vector<double> V(static_cast<size_t>(cols) * P), w(cols);
    for (double& x : V) x = probe(rng);
    for (double& x : w) x = std::fabs(probe(rng));
    for (bool weighted : {false, true}) {
      std::vector<double> out(static_cast<size_t>(rows) * P), abs_out(rows);
      freivalds_products(M.data(), rows, cols, V.data(), weighted ? w.data() : nullptr, out.data(), abs_out.data(), 2);
      const int whole = cols / 8 * 8;
      for (int i = 0; i < rows; ++i) {
        const float* m = &M[static_cast<size_t>(i) * cols];
        for (int t = 0; t < P; ++t) {
          double sum = 0;
          for (int j = 0; j < cols; ++j) sum += static_cast<double>(m[j]) * V[static_cast<size_t>(j) * P + t];
          ASSERT_EQ(out[static_cast<size_t>(i) * P + t], sum) << rows << "x" << cols << " row " << i << " probe " << t;
        }
        double part[8] = {}, tail = 0;
        for (int j = 0; j < whole; ++j) part[j % 8] += std::fabs(static_cast<double>(m[j])) * (weighted ? w[j] : 1.0);
        for (int j = whole; j < cols; ++j) tail += std::fabs(static_cast<double>(m[j])) * (weighted ? w[j] : 1.0);
        for (double p : part) tail += p;
        ASSERT_EQ(abs_out[i], tail) << rows << "x" << cols << " row " << i;
      }
    }
  }
}

TEST(Freivalds, AbsOutIsOptional) {
  std::vector<float> M = {1.5f, -2.0f, 0.25f};
  std::vector<double> V(3 * kFreivaldsProbes, 1.0), out(kFreivaldsProbes);
  freivalds_products(M.data(), 1, 3, V.data(), nullptr, out.data(), nullptr, 1);
  for (double x : out) EXPECT_EQ(x, -0.25);
}

}  // namespace
}  // namespace grid
