// gpu-bench's "render" section: what Blender on this machine is (version,
// build, Cycles backends) and how fast Cycles renders the reference scene
// (examples/render/make_scene.py, made here in the sandbox), in samples
// (pixels x samples per pixel) per second: the rate job-split --weights
// cuts render jobs by. Blender's start-up is timed apart, by a run that
// renders nothing, since a task pays it once and not per frame.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "jobs/kind_render.h"
#include "measure/gpu_bench.h"

namespace grid {
namespace {

// The reference frames: small, so that the section costs seconds, yet
// enough samples that rendering, not Blender's per-frame set-up, is timed.
constexpr int kWidth = 96, kHeight = 64;
constexpr int kSamples = 32, kQuickSamples = 8;
constexpr int kFrames = 2;

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
  for (int f = 1; f <= kFrames; ++f) req.frames.push_back({f, std::nullopt});
  ctx.progress("render: reference frames");
  const RenderOutcome run = render_frames(req, "the reference scene");
  const double samples = static_cast<double>(kWidth) * kHeight * static_cast<double>(req.samples) * kFrames;
  json out = {{"blender", run.blender.to_json()},
              {"scene", {{"width", kWidth}, {"height", kHeight}, {"samples", req.samples}, {"frames", kFrames}}},
              {"device", "cpu"},
              {"startup_seconds", empty.seconds},
              {"render_seconds", run.render_seconds},
              {"samples_per_s", run.render_seconds > 0 ? samples / run.render_seconds : 0.0}};
  return out;
}

void add_render_costs(json& kinds, const json& render) {
  if (!kinds.is_object() || !render.contains("samples_per_s") || !(render["samples_per_s"].get<double>() > 0)) return;
  for (auto mode = kinds.begin(); mode != kinds.end(); ++mode) {
    json& costs = mode.value();
    if (!costs.is_object() || !costs.contains("gemm")) continue;
    const json& gemm = costs["gemm"];
    costs["render"] = {{"task", gemm["task"]},
                       {"blender_start", render["startup_seconds"]},
                       {"frame", 0.0},
                       {"msample", 1e6 / render["samples_per_s"].get<double>()},
                       {"store_write", gemm["store_write"]},
                       {"store_mb", gemm["store_mb"]}};
  }
}

}  // namespace grid
