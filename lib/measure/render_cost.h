// What Cycles' renders cost: gpu-bench's render.samples_per_s,
// frame_seconds and first_render_seconds (doc/protocol.md, "profile"),
// from the times of one Blender run's renders of the reference scene.
#pragma once

#include <cstdint>
#include <vector>

namespace grid {

struct RenderCost {
  double sample_seconds = 0;        // one pixel sample
  double frame_seconds = 0;         // a frame beyond its samples: setting it, syncing the scene, writing the PNG
  double first_render_seconds = 0;  // a run's first render beyond that: Cycles' kernels, the scene's BVH
};

// From a run that rendered a first frame at `high` samples per pixel, then
// frames at `low` and at `high` (`low_times`, `high_times`), `pixels`
// each. The medians at the two counts give a sample's seconds (their
// difference) and a frame's own (the low count's less its samples);
// medians, as the machine may be shared. Where noise leaves the high count
// no slower than the low, the samples are given all of a frame's time and
// `frame_seconds` is 0. Never negative.
RenderCost render_cost(double pixels, int64_t low, int64_t high, const std::vector<double>& low_times,
                       const std::vector<double>& high_times, double first_time);

}  // namespace grid
