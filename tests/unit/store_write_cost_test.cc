#include "measure/store_write_cost.h"

#include <gtest/gtest.h>

#include <random>

namespace grid {
namespace {

constexpr size_t kSmall = 4096, kBig = size_t{1} << 20;

// Writes costing `write` s each on the disk and `mb` s a MB beyond, with
// the memory store's 0.1 ms and 1 ms a MB; `bursts` of the disk's writes
// (every fourth pair, from the first) cost 40 times as much.
StoreWriteSamples samples(double write, double mb, bool bursts, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  StoreWriteSamples s;
  const double big_mb = (kBig - kSmall) / 1e6;
  for (int i = 0; i < 31; ++i) {
    const double burst = bursts && i % 4 == 0 ? 40 : 1;
    s.fit_small.push_back(1e-4 * jitter(rng));
    s.fit_big.push_back((1e-4 + 1e-3 * big_mb) * jitter(rng));
    s.disk_small.push_back((1e-4 + write) * burst * jitter(rng));
    s.disk_big.push_back((1e-4 + write + (1e-3 + mb) * big_mb) * burst * jitter(rng));
  }
  return s;
}

TEST(StoreWriteCost, DifferenceOfTheDiskAndMemoryMedians) {
  const StoreWriteCost c = store_write_cost(samples(5e-4, 4.5e-4, false, 1), kSmall, kBig);
  EXPECT_NEAR(c.per_write, 5e-4, 1e-4);
  EXPECT_NEAR(c.per_mb, 4.5e-4, 1.5e-4);
}

TEST(StoreWriteCost, BurstsOnAQuarterOfTheWritesDoNotMoveIt) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const StoreWriteCost c = store_write_cost(samples(5e-4, 4.5e-4, true, seed), kSmall, kBig);
    EXPECT_NEAR(c.per_write, 5e-4, 2e-4);
    EXPECT_NEAR(c.per_mb, 4.5e-4, 3e-4);
  }
}

TEST(StoreWriteCost, NeverNegative) {
  StoreWriteSamples s = samples(0, 0, false, 3);
  std::swap(s.disk_small, s.fit_small);
  std::swap(s.disk_big, s.fit_big);
  for (double& t : s.disk_big) t *= 0.5;
  const StoreWriteCost c = store_write_cost(s, kSmall, kBig);
  EXPECT_EQ(c.per_write, 0);
  EXPECT_EQ(c.per_mb, 0);
}

TEST(StoreWriteCost, NoBigWritesNoCostPerMb) {
  StoreWriteSamples s = samples(5e-4, 4.5e-4, false, 4);
  s.disk_big.clear();
  EXPECT_EQ(store_write_cost(s, kSmall, kBig).per_mb, 0);
  EXPECT_NEAR(store_write_cost(s, kSmall, kBig).per_write, 5e-4, 1e-4);
}

}  // namespace
}  // namespace grid
