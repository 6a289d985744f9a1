// gpu-bench's "render" section: what Blender on this machine is (version,
// build, Cycles backends) and how fast Cycles renders the reference scene
// (examples/render/make_scene.py, made here in the sandbox): what a pixel
// sample costs (the rate job-split --weights cuts render jobs by), what a
// pixel costs beyond its samples, what a frame costs beyond its pixels,
// and what a run's first render costs beyond that (render_cost.h).
// Blender's start-up is timed apart, by a run that renders nothing, since
// a task pays it once and not per frame.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "jobs/kind_render.h"
#include "measure/gpu_bench.h"
#include "measure/render_cost.h"
#include "measure/timing.h"

namespace grid {
namespace {

// The reference frames: small, so that the section costs seconds. Frames
// at two sample counts tell a frame's cost from its samples': at one
// sample a frame's time is nearly all its own; the larger count, enough
// samples that rendering leads (16 with --quick). Frames at one sample and
// a larger size tell what a pixel costs beyond its samples (the film's,
// converting it, the PNG): on this project's build machines, 0.1 to 0.4 of
// a sample's, which a frame of 96 x 64 does not show and a one-sample
// preview at 1920 x 1080 paid 0.9 s a frame for, estimated at 0.69 of its
// time without it. The larger frame is 8 times each side (4 with --quick,
// which must take seconds): the larger, the more its pixels' cost stands
// above a frame's jitter.
constexpr int kWidth = 96, kHeight = 64;
constexpr int kLowSamples = 1;
constexpr int kSamples = 32, kQuickSamples = 16;
constexpr int kLargePercent = 800, kQuickLargePercent = 400;
// Frames of each kind, after the first render (which sets up Cycles'
// kernels and the scene's BVH, once a run): their medians are taken, as
// the machine may be shared.
constexpr int kTurns = 3;

}  // namespace

json bench_render(BenchContext& ctx) {
  if (!local_blender()) return {{"skipped", "Blender is not installed"}};
  ctx.progress("render: the reference scene, in Blender");
  const char* t = std::getenv("TMPDIR");
  std::string dir = std::string(t && *t ? t : "/tmp") + "/gpu-bench-render.XXXXXX";
  if (!::mkdtemp(dir.data())) throw Error(Exit::io, "cannot make a folder " + dir + " for the reference scene");
  struct Remove {
    std::string d;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } remove{dir};
  const std::string scene = dir + "/scene.blend";
  make_reference_scene(scene);

  RenderRequest req;
  req.scene = scene;
  req.width = kWidth;
  req.height = kHeight;
  req.samples = ctx.quick ? kQuickSamples : kSamples;
  req.seed = 1;
  req.threads = ctx.threads;
  ctx.progress("render: Blender's start-up");
  const RenderOutcome empty = render_frames(req, "the reference scene");
  // The first render at the larger count, then the three kinds of frame in
  // turn: small at the low count, small at the larger, large at the low.
  const int percent = ctx.quick ? kQuickLargePercent : kLargePercent;
  req.frames.push_back({1, std::nullopt, std::nullopt});
  for (int i = 0; i < 3 * kTurns; ++i) {
    const bool high = i % 3 == 1;
    req.frames.push_back({2 + i, std::nullopt, high ? std::nullopt : std::optional<int64_t>(kLowSamples),
                          i % 3 == 2 ? percent : 100});
  }
  ctx.progress("render: reference frames");
  const RenderOutcome run = render_frames(req, "the reference scene");
  if (run.render_times.size() != req.frames.size())
    throw Error(Exit::internal, "Blender timed " + std::to_string(run.render_times.size()) + " of " +
                                    std::to_string(req.frames.size()) + " reference frames");
  const int large_width = kWidth * percent / 100, large_height = kHeight * percent / 100;
  RenderTimes times;
  times.pixels = static_cast<double>(kWidth) * kHeight;
  times.large_pixels = static_cast<double>(large_width) * large_height;
  times.low = kLowSamples;
  times.high = req.samples;
  times.first_time = run.render_times[0];
  for (size_t i = 1; i < run.render_times.size(); ++i) {
    std::vector<double>* to[] = {&times.low_times, &times.high_times, &times.large_times};
    to[(i - 1) % 3]->push_back(run.render_times[i]);
  }
  const RenderCost costs = render_cost(times);
  json out = {{"blender", run.blender.to_json()},
              {"scene",
               {{"width", kWidth},
                {"height", kHeight},
                {"samples", {kLowSamples, req.samples}},
                {"large", {{"width", large_width}, {"height", large_height}}},
                {"frames", req.frames.size()}}},
              {"device", "cpu"},
              {"startup_seconds", empty.seconds},
              {"render_seconds", run.render_seconds},
              {"medians",
               {{"low", spread_of(times.low_times).median},
                {"high", spread_of(times.high_times).median},
                {"large", spread_of(times.large_times).median}}},
              {"first_render_seconds", costs.first_render_seconds},
              {"frame_seconds", costs.frame_seconds},
              {"pixel_seconds", costs.pixel_seconds},
              {"samples_per_s", costs.sample_seconds > 0 ? 1 / costs.sample_seconds : 0.0}};
  return out;
}

void add_render_costs(json& kinds, const json& render) {
  if (!kinds.is_object() || !render.contains("samples_per_s") || !(render["samples_per_s"].get<double>() > 0)) return;
  for (auto mode = kinds.begin(); mode != kinds.end(); ++mode) {
    json& costs = mode.value();
    if (!costs.is_object() || !costs.contains("gemm")) continue;
    const json& gemm = costs["gemm"];
    costs["render"] = {{"task", gemm["task"]},
                       {"blender_start", render["startup_seconds"].get<double>() +
                                             render["first_render_seconds"].get<double>()},
                       {"frame", render["frame_seconds"]},
                       {"mpixel", 1e6 * render["pixel_seconds"].get<double>()},
                       {"msample", 1e6 / render["samples_per_s"].get<double>()},
                       {"store_write", gemm["store_write"]},
                       {"store_mb", gemm["store_mb"]}};
  }
}

}  // namespace grid
