// The render kind's run: the task's frames rendered by one Blender in the
// sandbox, each stored as a PNG without its clock chunks (or, when tiled,
// assembled from its tiles and encoded again) and committed to by the
// SHA-256 of its decoded pixels; the result's root is the RFC 6962 tree
// over those digests, frames in order.
#include "core/error.h"
#include "core/merkle.h"
#include "core/store.h"
#include "jobs/input_fetch.h"
#include "jobs/job_kinds.h"
#include "jobs/job_run.h"
#include "jobs/kind_render.h"

namespace grid {
namespace {

// The tiles of a frame, left to right then bottom to top: even cuts of
// each side into `nx` and `ny` parts.
std::vector<Box> tile_boxes(int width, int height, int nx, int ny) {
  std::vector<Box> out;
  for (const auto& [y0, y1] : even_ranges(height, ny))
    for (const auto& [x0, x1] : even_ranges(width, nx))
      out.push_back({static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1), static_cast<int>(y1)});
  return out;
}

}  // namespace

std::string render_scene_path(const json& spec, Store* store) {
  const json& scene = spec["scene"];
  Digest key;
  parse_sha256_ref(scene["sha256"].get<std::string>(), &key);
  if (scene.contains("url")) fetch_input(scene["url"].get<std::string>(), key, store, ".render.scene");
  else if (!store->has(key))
    throw Error(Exit::no_input, "scene " + scene["sha256"].get<std::string>() +
                                    " is not in the store and the spec names no URL for it")
        .at_field(".render.scene");
  if (!store->intact(key))
    throw Error(Exit::data, "the stored scene " + store->path(key) + " does not hash to its sha256").at_field(".render.scene");
  return store->path(key);
}

RenderRequest render_request(const json& spec, const std::string& scene_path, int threads) {
  RenderRequest req;
  req.scene = scene_path;
  req.width = spec["resolution"]["width"];
  req.height = spec["resolution"]["height"];
  req.samples = spec["samples"];
  req.seed = spec["seed"];
  req.device = spec["device"];
  req.threads = threads;
  return req;
}

json render_run(const json& task, RunContext& ctx) {
  const json& spec = task["render"];  // validate_task() checked it
  RenderRequest req = render_request(spec, render_scene_path(spec, ctx.store), ctx.threads);
  const std::vector<int64_t> frames = render_frame_numbers(spec);
  const bool tiled = spec.contains("tiles");
  const std::vector<Box> tiles =
      tiled ? tile_boxes(req.width, req.height, spec["tiles"]["x"], spec["tiles"]["y"]) : std::vector<Box>{};
  for (int64_t f : frames) {
    if (!tiled) req.frames.push_back({f, std::nullopt, std::nullopt});
    for (const Box& b : tiles) req.frames.push_back({f, b, std::nullopt});
  }
  ctx.progress("render: " + std::to_string(frames.size()) + " frames in Blender");
  const RenderOutcome run = render_frames(req);

  json images = json::array(), leaves_hex = json::array();
  std::vector<Digest> digests;
  for (size_t i = 0; i < frames.size(); ++i) {
    const std::string what = "Blender's image of frame " + std::to_string(frames[i]);
    Image img;
    std::string png;
    if (!tiled) {
      png = strip_png_clock_chunks(run.pngs[i]);
      img = decode_png(png, what);
    } else {
      img.width = req.width;
      img.height = req.height;
      img.rgba.assign(static_cast<size_t>(req.width) * req.height * 4, 0);
      for (size_t t = 0; t < tiles.size(); ++t) {
        const Image tile = decode_png(run.pngs[i * tiles.size() + t], what);
        if (tile.width != tiles[t].width() || tile.height != tiles[t].height())
          throw Error(Exit::data, what + ": a tile of the wrong size").at_field(".render.tiles");
        paste_image(img, tile, tiles[t]);
      }
      png = encode_png(img);
    }
    if (img.width != req.width || img.height != req.height)
      throw Error(Exit::data, what + " is " + std::to_string(img.width) + "x" + std::to_string(img.height))
          .at_field(".render.resolution");
    const Digest pixels = pixels_sha256(img);
    digests.push_back(pixels);
    leaves_hex.push_back(hex(pixels));
    images.push_back({{"frame", frames[i]}, {"png", sha256_ref(ctx.store->put(png))}});
  }
  std::vector<Digest> leaves;
  for (const Digest& d : digests)
    leaves.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())));
  const double seconds = run.seconds;
  ctx.pace(static_cast<int64_t>(frames.size()), static_cast<int64_t>(frames.size()), "frames", seconds);
  return {{"inputs", {{"scene", spec["scene"]["sha256"]}}},
          {"frames", spec["frames"]},
          {"resolution", spec["resolution"]},
          {"samples", spec["samples"]},
          {"seed", spec["seed"]},
          {"device", spec["device"]},
          {"blender", {{"version", run.blender.version}, {"build", run.blender.build}}},
          {"images", images},
          {"trace",
           {{"tree", "rfc6962"},
            {"leaf", "SHA-256 of a frame's decoded pixels, RGBA 8-bit, rows top first"},
            {"leaves", leaves_hex},
            {"root", sha256_ref(merkle_root(leaves))}}},
          {"metrics",
           {{"seconds", seconds},
            {"render_seconds", run.render_seconds},
            {"seconds_per_frame", frames.empty() ? 0.0 : seconds / static_cast<double>(frames.size())}}}};
}

}  // namespace grid
