// trace and crop for render results (doc/design.md, "Rendering"). trace:
// one leaf per frame (the SHA-256 of its decoded pixels) under the root,
// the frames the task asks for. crop: frames drawn from the verifier's
// signature, in each a crop at a drawn place re-rendered alone in Blender
// (a border render, which Cycles renders pixel for pixel as the full frame
// when dither is off) and compared with the same pixels of the stored
// frame: identical when the provider's Blender build and device class are
// the verifier's, else within a PSNR (min_psnr: by samples) and an SSIM bound.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/merkle.h"
#include "core/net.h"
#include "core/store.h"
#include "core/text_pad.h"
#include "jobs/kind_render.h"
#include "proof/proof_modes.h"

namespace grid {
namespace {

// A crop's side as a share of the frame's side: 1/16 of its pixels, so
// that re-rendering the drawn frames' crops costs a small part of the job
// (make bench: verification / render).
constexpr double kCropSide = 0.25;
// Across Blender builds or device classes Cycles' pixels are not the same
// bits; a crop must then come within a PSNR and an SSIM of the re-render.
// Chosen from measurements (doc/design.md, "Rendering"): the farthest an
// honest render can be is one with other random numbers (another seed),
// whose worst 16x12 crop of the test scene is 23.5 dB at 16 samples and
// 30 dB at 64 (Monte Carlo noise: 10 log10 of the samples ratio); the
// bound stays 3.5 dB below that line, and SSIM below the worst seen, 0.27.
constexpr double kMinPsnrAt16Samples = 20.0;
constexpr double kMaxMinPsnr = 40.0;
constexpr double kMinSsim = 0.2;

double min_psnr(double samples) {
  return std::min(kMaxMinPsnr, kMinPsnrAt16Samples + 10 * std::log10(samples / 16));
}

// The device class the verifier renders with.
constexpr const char* kVerifierDevice = "cpu";

Box draw_box(DrawStream& s, int width, int height) {
  const int w = std::max(1, static_cast<int>(std::ceil(width * kCropSide)));
  const int h = std::max(1, static_cast<int>(std::ceil(height * kCropSide)));
  const int x0 = static_cast<int>(s.below(static_cast<uint64_t>(width - w + 1)));
  const int y0 = static_cast<int>(s.below(static_cast<uint64_t>(height - h + 1)));
  return {x0, y0, x0 + w, y0 + h};
}

std::string box_text(const Box& b) {
  return "x " + std::to_string(b.x0) + ".." + std::to_string(b.x1) + ", y " + std::to_string(b.y0) + ".." +
         std::to_string(b.y1);
}

// The frames the result covers must be the task's, at its parameters.
Status same_as_task(const json& result, const json& spec) {
  const json& part = result["render"];
  for (const char* f : {"frames", "resolution", "samples", "seed", "device"}) {
    json want = spec[f];
    if (std::string(f) == "frames" && !want.contains("step")) want["step"] = 1;
    if (part[f] != want) return Status::Fail(std::string(f) + " " + part[f].dump() + ", the task's is " + want.dump());
  }
  const json& header = result["header"];
  if (!header.contains("inputs") || !header["inputs"].is_object() || header["inputs"].value("scene", json()) != spec["scene"]["sha256"])
    return Status::Fail("the result's header.inputs.scene is not the task's scene");
  return Status::Ok();
}

// The scene as a file: the store's object, else fetched into a temporary
// file (`tmp` is set to it, for the caller to remove).
std::string scene_file(const CheckContext& c, const json& scene, std::string* tmp, std::string* problem) {
  const Digest key = ref_digest(scene["sha256"]);
  if (c.store && c.store->has(key) && c.store->intact(key)) return c.store->path(key);
  Fetched f = fetch_object(c, key);
  if (f.state != Fetched::State::found && scene.contains("url")) {
    f.bytes = fetch_bytes(scene["url"].get<std::string>(), key);
    f.state = Fetched::State::found;
  }
  if (f.state != Fetched::State::found) {
    *problem = f.problem;
    return "";
  }
  const char* t = std::getenv("TMPDIR");
  std::string templ = std::string(t && *t ? t : "/tmp") + "/gridutils-scene.XXXXXX";
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) throw Error(Exit::io, "cannot make a file " + templ + " for the scene");
  ::close(fd);
  *tmp = templ;
  std::ofstream(templ, std::ios::binary) << f.bytes;
  return templ;
}

}  // namespace

ModeReport check_trace_render(CheckContext& c) {
  const json& part = c.message()["render"];
  const std::vector<Digest> frames = hex_digests(part["trace"]["leaves"]);
  json checked = {{"leaves", frames.size()}};
  if (c.task) {
    if (Status s = same_as_task(c.message(), (*c.task)["render"]); !s.ok()) return ModeReport::fail(s.reason(), checked);
  }
  const std::vector<int64_t> numbers = render_frame_numbers(part);
  if (frames.size() != numbers.size() || part["images"].size() != numbers.size())
    return ModeReport::fail(std::to_string(frames.size()) + " leaves and " + std::to_string(part["images"].size()) +
                                " images for " + std::to_string(numbers.size()) + " frames",
                            checked);
  for (size_t i = 0; i < numbers.size(); ++i)
    if (part["images"][i]["frame"] != numbers[i])
      return ModeReport::fail("image " + std::to_string(i) + " is frame " + part["images"][i]["frame"].dump() +
                                  ", want " + std::to_string(numbers[i]),
                              checked);
  const std::vector<Digest> leaves = leaf_hashes_of(frames);
  const Digest claimed = ref_digest(part["trace"]["root"]);
  if (merkle_root(leaves) != claimed)
    return ModeReport::fail("the root " + sha256_ref(claimed) + " is not the root of the leaves", checked);
  const int64_t n = static_cast<int64_t>(leaves.size());
  std::vector<int64_t> proved = draw_indices(c.draw.seed, "trace", n, sample_count(*c.opt, n, n));
  if (Status s = check_inclusion(leaves, proved, claimed); !s.ok()) return ModeReport::fail(s.reason(), checked);
  checked["inclusion_proofs"] = proved.size();
  return ModeReport::pass(checked);
}

ModeReport check_crop_render(CheckContext& c) {
  json checked = json::object();
  if (!c.task) return task_not_given(c, "crop re-renders its frames", checked);
  const json& part = c.message()["render"];
  const json& spec = (*c.task)["render"];
  if (Status s = same_as_task(c.message(), spec); !s.ok()) return ModeReport::fail(s.reason(), checked);
  const std::vector<Digest> leaves = hex_digests(part["trace"]["leaves"]);
  const std::vector<int64_t> numbers = render_frame_numbers(part);
  const int64_t n = static_cast<int64_t>(numbers.size());
  if (static_cast<int64_t>(leaves.size()) != n || static_cast<int64_t>(part["images"].size()) != n)
    return ModeReport::fail("the result's leaves and images are not one per frame", checked);
  if (merkle_root(leaf_hashes_of(leaves)) != ref_digest(part["trace"]["root"]))
    return ModeReport::fail("the root is not the root of the leaves", checked);

  const int width = spec["resolution"]["width"], height = spec["resolution"]["height"];
  const int64_t q = sample_count(*c.opt, n, static_cast<int64_t>(std::floor(c.opt->budget * static_cast<double>(n))));
  const std::vector<int64_t> drawn = draw_indices(c.draw.seed, "crop", n, q);
  DrawStream boxes(c.draw.seed, "crop-box");
  std::vector<Box> crops;
  json listed = json::array();
  for (int64_t i : drawn) {
    crops.push_back(draw_box(boxes, width, height));
    listed.push_back({{"frame", numbers[static_cast<size_t>(i)]},
                      {"box", {crops.back().x0, crops.back().y0, crops.back().x1, crops.back().y1}}});
  }
  checked["crops"] = listed;
  checked["of"] = n;

  // The stored frames, each checked against its leaf before its crop is used.
  std::vector<Image> stored;
  for (size_t k = 0; k < drawn.size(); ++k) {
    const size_t i = static_cast<size_t>(drawn[k]);
    const std::string what = "frame " + std::to_string(numbers[i]);
    Fetched png = fetch_object(c, ref_digest(part["images"][i]["png"]));
    if (png.state == Fetched::State::corrupt) return ModeReport::fail("the stored " + what + " is corrupt: " + png.problem, checked);
    if (png.state == Fetched::State::absent) return ModeReport::inconclusive("the stored " + what + " is unavailable: " + png.problem, checked);
    Image img;
    try {
      img = decode_png(png.bytes, "the stored " + what);
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      return ModeReport::fail(e.what(), checked);
    }
    if (img.width != width || img.height != height)
      return ModeReport::fail("the stored " + what + " is " + std::to_string(img.width) + "x" +
                                  std::to_string(img.height) + ", the task's frames " + std::to_string(width) + "x" +
                                  std::to_string(height),
                              checked);
    if (pixels_sha256(img) != leaves[i])
      return ModeReport::fail("the stored " + what + "'s pixels do not hash to its leaf", checked);
    stored.push_back(crop_image(img, crops[k]));
  }

  std::string tmp, problem;
  const std::string scene = scene_file(c, spec["scene"], &tmp, &problem);
  if (scene.empty()) return ModeReport::inconclusive("the scene is unavailable: " + problem, checked);
  RenderRequest req = render_request(spec, scene, c.opt->threads);
  req.device = kVerifierDevice;
  for (size_t k = 0; k < drawn.size(); ++k) req.frames.push_back({numbers[static_cast<size_t>(drawn[k])], crops[k], std::nullopt});
  RenderOutcome again;
  try {
    again = render_frames(req);
  } catch (const Error& e) {
    if (!tmp.empty()) ::unlink(tmp.c_str());
    if (e.code() != Exit::unavailable && e.code() != Exit::data) throw;
    return ModeReport::inconclusive(std::string("cannot re-render: ") + e.what(), checked);
  }
  if (!tmp.empty()) ::unlink(tmp.c_str());

  const bool exact = part["blender"]["build"] == again.blender.build && part["device"] == kVerifierDevice;
  const double psnr_bound = min_psnr(spec["samples"].get<double>());
  checked["compare"] = exact ? "identical pixels (same Blender build, same device class)"
                             : "PSNR >= " + short_number(psnr_bound, 4) + " dB and SSIM >= " + short_number(kMinSsim, 4) +
                                   " (the provider's Blender build or device class differs)";
  double worst_psnr = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < drawn.size(); ++k) {
    const std::string where = "frame " + std::to_string(numbers[static_cast<size_t>(drawn[k])]) + ", crop " + box_text(crops[k]);
    const Image fresh = decode_png(again.pngs[k], "Blender's re-render of " + where);
    if (fresh.width != crops[k].width() || fresh.height != crops[k].height())
      return ModeReport::inconclusive("Blender re-rendered " + where + " at another size", checked);
    if (exact) {
      if (fresh.rgba != stored[k].rgba) return ModeReport::fail(where + ": the pixels differ from a re-render", checked);
      continue;
    }
    const ImageDistance d = image_distance(fresh, stored[k]);
    worst_psnr = std::min(worst_psnr, d.psnr);
    if (d.psnr < psnr_bound || d.ssim < kMinSsim)
      return ModeReport::fail(where + ": PSNR " + short_number(d.psnr, 4) + " dB, SSIM " + short_number(d.ssim, 4) +
                                  " against a re-render, below the threshold",
                              checked);
  }
  if (!exact && std::isfinite(worst_psnr)) checked["worst_psnr"] = worst_psnr;
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, sample_detection(*c.opt, n, q));
}

}  // namespace grid
