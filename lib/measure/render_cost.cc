#include "measure/render_cost.h"

#include <algorithm>

#include "measure/timing.h"

namespace grid {

RenderCost render_cost(double pixels, int64_t low, int64_t high, const std::vector<double>& low_times,
                       const std::vector<double>& high_times, double first_time) {
  const double at_low = spread_of(low_times).median, at_high = spread_of(high_times).median;
  RenderCost c;
  c.sample_seconds = (at_high - at_low) / (pixels * static_cast<double>(high - low));
  if (!(c.sample_seconds > 0)) {
    c.sample_seconds = std::max(0.0, at_high) / (pixels * static_cast<double>(high));
    c.frame_seconds = 0;
  } else {
    c.frame_seconds = std::max(0.0, at_low - c.sample_seconds * pixels * static_cast<double>(low));
  }
  c.first_render_seconds =
      std::max(0.0, first_time - c.frame_seconds - c.sample_seconds * pixels * static_cast<double>(high));
  return c;
}

}  // namespace grid
