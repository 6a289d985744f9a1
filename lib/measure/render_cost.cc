#include "measure/render_cost.h"

#include <algorithm>

#include "measure/timing.h"

namespace grid {

RenderCost render_cost(const RenderTimes& t) {
  const double at_low = spread_of(t.low_times).median, at_high = spread_of(t.high_times).median;
  const double low = static_cast<double>(t.low), high = static_cast<double>(t.high);
  RenderCost c;
  c.sample_seconds = (at_high - at_low) / (t.pixels * (high - low));
  if (!(c.sample_seconds > 0)) {
    c.sample_seconds = std::max(0.0, at_high) / (t.pixels * high);
  } else {
    if (t.large_pixels > t.pixels && !t.large_times.empty()) {
      const double at_large = spread_of(t.large_times).median;
      c.pixel_seconds = std::max(0.0, (at_large - at_low) / (t.large_pixels - t.pixels) - c.sample_seconds * low);
    }
    c.frame_seconds = std::max(0.0, at_low - t.pixels * (c.pixel_seconds + c.sample_seconds * low));
  }
  c.first_render_seconds =
      std::max(0.0, t.first_time - c.frame_seconds - t.pixels * (c.pixel_seconds + c.sample_seconds * high));
  return c;
}

}  // namespace grid
