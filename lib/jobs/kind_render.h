// The render kind (doc/design.md, "Rendering"): frames of a Blender scene
// rendered with Cycles in the exec sandbox (sandbox.h), one Blender
// start-up per task, each frame committed to by the SHA-256 of its decoded
// pixels. job-run renders whole frames; proof-check re-renders crops of
// drawn frames; gpu-bench measures a render rate; all three go through
// render_frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "jobs/task_cost.h"

namespace grid {

// Decoded pixels: 8-bit RGBA, rows top to bottom, as a PNG of any colour
// type and depth decodes through libpng's transformations.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // width * height * 4
};

// Exit::data at `what` for bytes that are no PNG or that libpng refuses.
Image decode_png(const std::string& png, const std::string& what);
// A frame's commitment: SHA-256 of its RGBA rows, top row first.
Digest pixels_sha256(const Image& img);
// A PNG's bytes without the text chunks whose values are clocks (Blender
// writes Date, RenderTime and cycles.*_time): what is stored, so that the
// same pixels are stored as the same bytes from run to run.
std::string strip_png_clock_chunks(const std::string& png);
// A PNG of `img` (RGBA, libpng's default compression): tiled frames,
// assembled from their tiles, are stored as one.
std::string encode_png(const Image& img);

// A pixel rectangle in Blender's border convention: x from the left, y
// from the bottom, [x0, x1) x [y0, y1).
struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};
// The pixels of `box` within `img` (the box lies inside it).
Image crop_image(const Image& img, const Box& box);
// Copies `tile` into `img` at `box` (the tile's own size).
void paste_image(Image& img, const Image& tile, const Box& box);

// How far apart two images of one size are: PSNR over RGB in dB (infinity
// when identical) and the mean SSIM of the luma over 8x8 windows.
struct ImageDistance {
  double psnr = 0, ssim = 0;
};
ImageDistance image_distance(const Image& a, const Image& b);

// What the provider's Blender is: its version, the SHA-256 of its
// executable (Debian's reports no build hash), and the Cycles device
// backends it has (e.g. "cuda", "optix"; cpu always).
struct BlenderInfo {
  std::string version, build;
  std::vector<std::string> backends;
  json to_json() const;
};

// One render in a Blender run: a frame, whole or the crop `border`, at the
// request's samples unless `samples` says otherwise, at `percent` of the
// request's size (gpu-bench times two sizes in one run; a crop is always
// at 100).
struct FrameRender {
  int64_t frame = 0;
  std::optional<Box> border;
  std::optional<int64_t> samples;
  int percent = 100;
};

struct RenderRequest {
  std::string scene;  // host path of the .blend, bound read-only at /in
  int width = 0, height = 0;
  int64_t samples = 1;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;  // <= 0: every core
  std::vector<FrameRender> frames;
};

struct RenderOutcome {
  std::vector<std::string> pngs;  // as Blender wrote them, one per FrameRender
  BlenderInfo blender;
  double seconds = 0;        // the whole sandboxed run
  double render_seconds = 0; // inside Blender, from its first render to its last
  std::vector<double> render_times;  // inside Blender, each render's, from setting its frame
};

// Runs Blender once in the sandbox for all of `req`'s frames. Blender
// missing or without the device's backend: Exit::unavailable; Blender
// failing on the scene: Exit::data at `field`.
RenderOutcome render_frames(const RenderRequest& req, const std::string& field = ".render.scene");

class Store;

// The scene of a render spec as a file of `store`: fetched by its URL when
// it names one, else the store must hold it (Exit::no_input).
std::string render_scene_path(const json& spec, Store* store);
// A request for `spec`'s image and sampling parameters (no frames yet).
RenderRequest render_request(const json& spec, const std::string& scene_path, int threads);

// Whether a Blender is on the sandbox's PATH, and its build (nullopt when
// none; the version and backends are known only from a run).
std::optional<BlenderInfo> local_blender();

// A render task's work for the cost model (task_cost.h): a Blender start,
// frames, and millions of pixel samples.
std::optional<TaskWork> render_work(const json& spec, std::string* why);

// The render spec's frame numbers (frames.start..end by step).
std::vector<int64_t> render_frame_numbers(const json& spec);

// Writes the reference scene of gpu-bench and the tests (a Blender Python
// script run in the sandbox) to `path`.
void make_reference_scene(const std::string& path);

}  // namespace grid
