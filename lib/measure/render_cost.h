// What Cycles' renders cost: gpu-bench's render.samples_per_s,
// pixel_seconds, frame_seconds and first_render_seconds (doc/protocol.md,
// "profile"), from the times of one Blender run's renders of the reference
// scene.
#pragma once

#include <cstdint>
#include <vector>

namespace grid {

// A frame of p pixels at s samples a pixel takes
//   frame_seconds + p * pixel_seconds + p * s * sample_seconds,
// and a run's first render first_render_seconds more.
struct RenderCost {
  double sample_seconds = 0;        // one pixel sample
  double pixel_seconds = 0;         // a pixel beyond its samples: the film's, converting and writing it as PNG
  double frame_seconds = 0;         // a frame beyond its pixels: setting it, syncing the scene
  double first_render_seconds = 0;  // a run's first render beyond that: Cycles' kernels, the scene's BVH
};

// The renders of one run: a first frame at `high` samples per pixel, then,
// in turns, frames of `pixels` at `low` and at `high` samples and frames
// of `large_pixels` at `low`.
struct RenderTimes {
  double pixels = 0, large_pixels = 0;
  int64_t low = 1, high = 1;
  std::vector<double> low_times, high_times, large_times;
  double first_time = 0;
};

// Medians, as the machine may be shared: the two counts' difference gives
// a sample's seconds, the two sizes' at the low count a pixel's beyond its
// samples, and the small frame's rest a frame's own. Where noise leaves
// the high count no slower than the low, the samples are given all of a
// frame's time and the pixel and frame costs are 0; where the large frame
// is no slower than its samples, the pixel cost is 0. Never negative.
RenderCost render_cost(const RenderTimes& t);

}  // namespace grid
