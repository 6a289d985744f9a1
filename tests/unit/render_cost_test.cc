#include "measure/render_cost.h"

#include <gtest/gtest.h>

#include <random>

namespace grid {
namespace {

constexpr double kPixels = 96 * 64, kLarge = 768 * 512;

// What a machine's Blender costs: a frame `frame` s beyond its pixels, a
// pixel `pixel` s beyond its samples, a sample `sample` s, and the first
// render `first` s more.
struct Machine {
  double frame = 0, pixel = 0, sample = 0, first = 0;
  double at(double pixels, int64_t samples) const {
    return frame + pixels * (pixel + sample * static_cast<double>(samples));
  }
};

// A run's times on `m`, with 5% jitter, and one turn (when `stall`) four
// times slower.
RenderTimes times(const Machine& m, int64_t low, int64_t high, bool stall, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.95, 1.05);
  RenderTimes t;
  t.pixels = kPixels;
  t.large_pixels = kLarge;
  t.low = low;
  t.high = high;
  t.first_time = (m.first + m.at(kPixels, high)) * jitter(rng);
  for (int i = 0; i < 3; ++i) {
    const double slow = stall && i == 1 ? 4 : 1;
    t.low_times.push_back(m.at(kPixels, low) * slow * jitter(rng));
    t.high_times.push_back(m.at(kPixels, high) * slow * jitter(rng));
    t.large_times.push_back(m.at(kLarge, low) * slow * jitter(rng));
  }
  return t;
}

TEST(RenderCost, FramePixelSampleAndFirstRenderApart) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // What this machine's Blender measured: 10 ms a frame, 0.3 us a pixel
    // beyond its 0.9 us samples, 0.35 s more for the first render.
    const Machine m{0.01, 0.3e-6, 0.9e-6, 0.35};
    const RenderCost c = render_cost(times(m, 1, 32, seed % 2 == 0, seed));
    EXPECT_NEAR(c.sample_seconds, 0.9e-6, 0.12e-6);
    EXPECT_NEAR(c.pixel_seconds, 0.3e-6, 0.12e-6);
    EXPECT_NEAR(c.frame_seconds, 0.01, 0.005);
    EXPECT_NEAR(c.first_render_seconds, 0.35, 0.05);
    // What a 1920 x 1080 frame at 1 sample is estimated at, against what
    // it takes: within 10%.
    const double hd = 1920.0 * 1080.0;
    EXPECT_NEAR((c.frame_seconds + hd * (c.pixel_seconds + c.sample_seconds)) / m.at(hd, 1), 1.0, 0.1);
  }
}

TEST(RenderCost, NoFrameOrPixelCostIsNone) {
  const RenderCost c = render_cost(times({0, 0, 1e-6, 0}, 1, 8, false, 3));
  EXPECT_NEAR(c.sample_seconds, 1e-6, 0.2e-6);
  EXPECT_GE(c.pixel_seconds, 0);
  EXPECT_LT(c.pixel_seconds, 0.1e-6);
  EXPECT_GE(c.frame_seconds, 0);
  EXPECT_LT(c.frame_seconds, 1e-3);
  EXPECT_GE(c.first_render_seconds, 0);
}

TEST(RenderCost, HighCountNoSlowerGivesTheSamplesAllTheTime) {
  RenderTimes t;
  t.pixels = kPixels;
  t.large_pixels = kLarge;
  t.low = 1;
  t.high = 8;
  t.low_times = {0.05, 0.05, 0.05};
  t.high_times = {0.04, 0.04, 0.04};
  t.large_times = {0.5, 0.5, 0.5};
  t.first_time = 0.5;
  const RenderCost c = render_cost(t);
  EXPECT_DOUBLE_EQ(c.sample_seconds, 0.04 / (kPixels * 8));
  EXPECT_EQ(c.pixel_seconds, 0);
  EXPECT_EQ(c.frame_seconds, 0);
  EXPECT_DOUBLE_EQ(c.first_render_seconds, 0.46);
}

TEST(RenderCost, LargeFrameNoSlowerThanItsSamplesGivesNoPixelCost) {
  RenderTimes t = times({0.01, 0, 1e-6, 0.2}, 1, 32, false, 5);
  for (double& s : t.large_times) s = 0.01;  // a burst elsewhere made the small frames slow
  const RenderCost c = render_cost(t);
  EXPECT_EQ(c.pixel_seconds, 0);
  EXPECT_GT(c.frame_seconds, 0);
}

TEST(RenderCost, WithoutLargeFramesThePixelCostIsZero) {
  RenderTimes t = times({0.01, 0.3e-6, 0.9e-6, 0.2}, 1, 32, false, 7);
  t.large_times.clear();
  const RenderCost c = render_cost(t);
  EXPECT_EQ(c.pixel_seconds, 0);
  // A pixel's cost then rides in the frame's, at the small size.
  EXPECT_NEAR(c.frame_seconds, 0.01 + kPixels * 0.3e-6, 0.002);
}

}  // namespace
}  // namespace grid
