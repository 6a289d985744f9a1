#include "compute/synthetic_data.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "core/crypto.h"
#include "core/error.h"

namespace grid {
namespace {

// Named Mlp* so that --gtest_filter='Mlp*' runs all of the MLP's tests.
TEST(MlpSyntheticData, IsPinnedAndShaped) {
  const Dataset b = synthetic_blobs(5, 1000, 4, 5);
  ASSERT_EQ(b.x.size(), 4000u);
  ASSERT_EQ(b.targets.size(), 5000u);
  EXPECT_EQ(b.labels[7], 2);
  EXPECT_EQ(b.targets[7 * 5 + 2], 1.0f);
  // Within a class, x is its center plus noise of variance 0.25 (sigma 0.5).
  double mean[5][4] = {}, var = 0;
  for (size_t e = 0; e < b.x.size(); ++e) mean[b.labels[e / 4]][e % 4] += b.x[e] / 200;
  for (size_t e = 0; e < b.x.size(); ++e) {
    const double noise = b.x[e] - mean[b.labels[e / 4]][e % 4];
    var += noise * noise / b.x.size();
  }
  EXPECT_NEAR(var, 0.25, 0.02);
  EXPECT_EQ(hex(sha256(b.x.data(), b.x.size() * 4)),
            "e631e4dbaf5b6239ae2a5ae4c1c6b9bcf80e139c8b0394548ffd2c49881c7ed9");
  const Dataset t = synthetic_teacher(5, 50, 3, 2);
  EXPECT_EQ(hex(sha256(t.targets.data(), t.targets.size() * 4)),
            "7ced177b0e13c7c4e72b6433f8b64383e1d9666ebcfd3b34de54ff586cfe838d");
  for (int i = 0; i < t.rows; ++i)
    EXPECT_EQ(t.labels[i], t.targets[2 * i + 1] > t.targets[2 * i] ? 1 : 0);
  EXPECT_THROW(synthetic_blobs(1, 0, 4, 2), Error);
}

TEST(MlpSyntheticData, SeedsGiveDifferentData) {
  EXPECT_EQ(synthetic_blobs(5, 20, 3, 2).x, synthetic_blobs(5, 20, 3, 2).x);
  EXPECT_NE(synthetic_blobs(5, 20, 3, 2).x, synthetic_blobs(6, 20, 3, 2).x);
  EXPECT_NE(synthetic_teacher(5, 20, 3, 2).targets, synthetic_teacher(6, 20, 3, 2).targets);
  EXPECT_THROW(synthetic_teacher(1, 10, 0, 2), Error);
  EXPECT_THROW(synthetic_blobs(1, 1 << 20, 1 << 10, 2), Error);  // past kSyntheticMaxValues
}

}  // namespace
}  // namespace grid
