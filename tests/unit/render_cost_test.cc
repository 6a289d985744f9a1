#include "measure/render_cost.h"

#include <gtest/gtest.h>

#include <random>

namespace grid {
namespace {

constexpr double kPixels = 96 * 64;

// Render times of a machine where a frame costs `frame` s beyond its
// samples, a sample `sample` s and the first render `first` s more, with
// 10% jitter, and one frame of each count (when `stall`) four times slower.
struct Times {
  std::vector<double> low, high;
  double first = 0;
};
Times times(double frame, double sample, double first, int64_t low, int64_t high, bool stall, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.95, 1.05);
  Times t;
  t.first = (first + frame + sample * kPixels * high) * jitter(rng);
  for (int i = 0; i < 3; ++i) {
    const double slow = stall && i == 1 ? 4 : 1;
    t.low.push_back((frame + sample * kPixels * low) * slow * jitter(rng));
    t.high.push_back((frame + sample * kPixels * high) * slow * jitter(rng));
  }
  return t;
}

TEST(RenderCost, FrameSampleAndFirstRenderApart) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // What this machine's Blender measured: 20 ms a frame, 1.1 us a
    // sample, 0.35 s more for the first render.
    const Times t = times(0.02, 1.1e-6, 0.35, 1, 32, seed % 2 == 0, seed);
    const RenderCost c = render_cost(kPixels, 1, 32, t.low, t.high, t.first);
    EXPECT_NEAR(c.sample_seconds, 1.1e-6, 0.15e-6);
    EXPECT_NEAR(c.frame_seconds, 0.02, 0.006);
    EXPECT_NEAR(c.first_render_seconds, 0.35, 0.05);
  }
}

TEST(RenderCost, NoFrameCostIsNone) {
  const Times t = times(0, 1e-6, 0, 1, 8, false, 3);
  const RenderCost c = render_cost(kPixels, 1, 8, t.low, t.high, t.first);
  EXPECT_NEAR(c.sample_seconds, 1e-6, 0.2e-6);
  EXPECT_GE(c.frame_seconds, 0);
  EXPECT_LT(c.frame_seconds, 1e-3);
  EXPECT_GE(c.first_render_seconds, 0);
}

TEST(RenderCost, HighCountNoSlowerGivesTheSamplesAllTheTime) {
  const RenderCost c = render_cost(kPixels, 1, 8, {0.05, 0.05, 0.05}, {0.04, 0.04, 0.04}, 0.5);
  EXPECT_DOUBLE_EQ(c.sample_seconds, 0.04 / (kPixels * 8));
  EXPECT_EQ(c.frame_seconds, 0);
  EXPECT_DOUBLE_EQ(c.first_render_seconds, 0.46);
}

}  // namespace
}  // namespace grid
