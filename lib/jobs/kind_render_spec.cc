// The render kind's spec and split: a Blender scene by SHA-256 (and URL),
// a range of frames, the image and sampling parameters every frame shares,
// cut into tasks of consecutive frames.
#include <algorithm>

#include "core/crypto.h"
#include "core/error.h"
#include "core/fields.h"
#include "jobs/data_spec.h"
#include "jobs/job_kinds.h"
#include "jobs/kind_render.h"

namespace grid {
namespace {

// Frames per task unless --shard-rows, --tasks or --weights say otherwise:
// enough to spread Blender's start-up (about a second) over the frames.
constexpr int64_t kDefaultFramesPerTask = 8;
// Blender's own limits: frame numbers (MAXFRAME) and image sides.
constexpr int64_t kMaxFrame = 1048574;
constexpr int64_t kMaxSide = 65536;
// The backends Cycles names; which ones a provider's Blender has is known
// only on its machine (job-run refuses one it lacks with exit 69).
const std::vector<std::string> kRenderDevices = {"cpu", "cuda", "optix", "hip", "oneapi", "metal"};

}  // namespace

std::vector<int64_t> render_frame_numbers(const json& spec) {
  const json& f = spec["frames"];
  const int64_t start = f["start"], end = f["end"], step = f.value("step", 1);
  std::vector<int64_t> out;
  for (int64_t i = start; i <= end; i += step) out.push_back(i);
  return out;
}

void render_validate(const json& spec, const std::string& path, RunsOn where) {
  check_known_fields(spec, path,
                     {"scene", "frames", "resolution", "samples", "seed", "engine", "device", "output", "tiles"});
  const json& scene = get_object(spec, "scene", path);
  const std::string sp = path + ".scene";
  check_known_fields(scene, sp, {"sha256", "url"});
  require_ref(scene, "sha256", sp);
  if (scene.contains("url")) check_input_url(get_string(scene, "url", sp), sp + ".url");
  else if (where == RunsOn::elsewhere)
    throw data_error("a provider's store does not hold the buyer's scene: name its \"url\"", sp + ".url");

  const json& frames = get_object(spec, "frames", path);
  const std::string fp = path + ".frames";
  check_known_fields(frames, fp, {"start", "end", "step"});
  const int64_t start = get_int(frames, "start", fp, 0, kMaxFrame);
  get_int(frames, "end", fp, start, kMaxFrame);
  get_int_opt(frames, "step", fp, 1, kMaxFrame);

  const json& res = get_object(spec, "resolution", path);
  const std::string rp = path + ".resolution";
  check_known_fields(res, rp, {"width", "height"});
  const int64_t width = get_int(res, "width", rp, 1, kMaxSide), height = get_int(res, "height", rp, 1, kMaxSide);
  get_int(spec, "samples", path, 1, 1 << 24);
  get_int(spec, "seed", path, 0, INT32_MAX);  // Cycles' seed is a C int
  get_choice(spec, "engine", path, {"CYCLES"});
  get_choice(spec, "device", path, kRenderDevices);
  get_choice(spec, "output", path, {"PNG"});
  if (spec.contains("tiles")) {
    const json& tiles = get_object(spec, "tiles", path);
    const std::string tp = path + ".tiles";
    check_known_fields(tiles, tp, {"x", "y"});
    get_int(tiles, "x", tp, 1, width);
    get_int(tiles, "y", tp, 1, height);
  }
}

std::vector<TaskBody> render_split(const json& spec, uint64_t, const SplitOptions& opt) {
  const std::vector<int64_t> frames = render_frame_numbers(spec);
  const json& f = spec["frames"];
  const int64_t step = f.value("step", 1);
  // Weighted by each provider's render rate, not its GEMM rate.
  SplitOptions by_render = opt;
  for (SplitOptions::Share& s : by_render.weights) {
    if (!(s.render_rate > 0))
      throw data_error("profile " + s.profile + " has no render rate (gpu-bench with Blender present measures it)",
                       ".summary.render_samples_per_s");
    s.rate = s.render_rate;
  }
  const int64_t n = static_cast<int64_t>(frames.size());
  const double per_frame = spec["resolution"]["width"].get<double>() * spec["resolution"]["height"].get<double>() *
                           spec["samples"].get<double>();
  std::vector<TaskBody> out;
  for (const RowShard& s : row_shards(n, by_render, (n + kDefaultFramesPerTask - 1) / kDefaultFramesPerTask)) {
    json part = spec;
    part["frames"] = {{"start", frames[s.begin]}, {"end", frames[s.end - 1]}, {"step", step}};
    out.push_back({part, per_frame * static_cast<double>(s.end - s.begin), s.provider, s.profile});
  }
  return out;
}

std::optional<TaskWork> render_work(const json& spec, std::string*) {
  const double frames = static_cast<double>(render_frame_numbers(spec).size());
  const double pixels = spec["resolution"]["width"].get<double>() * spec["resolution"]["height"].get<double>();
  return TaskWork{{"task", 1},
                  {"blender_start", 1},
                  {"frame", frames},
                  {"mpixel", frames * pixels / 1e6},
                  {"msample", frames * pixels * spec["samples"].get<double>() / 1e6},
                  {"store_write", frames + 2}};  // the frames, the result, its reference
}

}  // namespace grid
