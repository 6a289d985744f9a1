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

TEST(Freivalds, AbsOutIsOptional) {
  std::vector<float> M = {1.5f, -2.0f, 0.25f};
  std::vector<double> V(3 * kFreivaldsProbes, 1.0), out(kFreivaldsProbes);
  freivalds_products(M.data(), 1, 3, V.data(), nullptr, out.data(), nullptr, 1);
  for (double x : out) EXPECT_EQ(x, -0.25);
}

}  // namespace
}  // namespace grid
