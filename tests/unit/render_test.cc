// The render kind's library parts that need no Blender: the spec's checks,
// the split by frames, PNG pixels and clock chunks, crops, distances.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/message.h"
#include "jobs/job_spec.h"
#include "jobs/kind_render.h"
#include "jobs/task_cost.h"

namespace grid {
namespace {

json render_job() {
  json j = json::parse(R"({"kind":"job","v":1,"type":"render","render":{
    "scene":{"sha256":"sha256:0000000000000000000000000000000000000000000000000000000000000000",
             "url":"http://127.0.0.1:1/scene.blend"},
    "frames":{"start":1,"end":48,"step":1},"resolution":{"width":64,"height":48},
    "samples":8,"seed":7,"engine":"CYCLES","device":"cpu","output":"PNG"}})");
  return j;
}

std::string field_of(const json& job) {
  try {
    validate_job(job);
  } catch (const Error& e) {
    return e.field();
  }
  return "(valid)";
}

TEST(RenderSpec, ErrorsNameTheField) {
  EXPECT_EQ(field_of(render_job()), "(valid)");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/render/scene/sha256", ".render.scene.sha256"}, {"/render/frames/end", ".render.frames.end"},
      {"/render/resolution/width", ".render.resolution.width"}, {"/render/samples", ".render.samples"},
      {"/render/seed", ".render.seed"}, {"/render/engine", ".render.engine"}, {"/render/device", ".render.device"},
      {"/render/output", ".render.output"}};
  for (const auto& [pointer, field] : cases) {
    json j = render_job();
    j[json::json_pointer(pointer)] = pointer == "/render/frames/end" ? json(0) : json("EEVEE");
    EXPECT_EQ(field_of(j), field) << pointer;
  }
  json j = render_job();
  j["render"]["tiles"] = {{"x", 65}, {"y", 1}};
  EXPECT_EQ(field_of(j), ".render.tiles.x");
  j = render_job();
  j["render"]["denoise"] = true;
  EXPECT_EQ(field_of(j), ".render.denoise");
  j = render_job();
  j["render"]["seed"] = int64_t{1} << 31;
  EXPECT_EQ(field_of(j), ".render.seed");
}

TEST(RenderSpec, SplitCutsConsecutiveFrames) {
  json job = render_job();
  job["render"]["frames"] = {{"start", 10}, {"end", 30}, {"step", 2}};  // 11 frames
  SplitOptions opt;
  std::vector<json> tasks = split_job(job, opt);
  ASSERT_EQ(tasks.size(), 2u);  // at most 8 frames a task by default, evenly
  EXPECT_EQ(tasks[0]["render"]["frames"], json({{"start", 10}, {"end", 18}, {"step", 2}}));
  EXPECT_EQ(tasks[1]["render"]["frames"], json({{"start", 20}, {"end", 30}, {"step", 2}}));
  EXPECT_EQ(tasks[1]["flops"], 6 * 64 * 48 * 8);
  for (const json& t : tasks) EXPECT_NO_THROW(validate_task(t));

  opt.weights = {{"ed25519:a", "sha256:p1", 5.0, 3e6}, {"ed25519:b", "sha256:p2", 1.0, 1e6}};
  tasks = split_job(job, opt);  // by render rate, not GEMM rate: 3:1
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(render_frame_numbers(tasks[0]["render"]).size(), 8u);
  EXPECT_EQ(tasks[0]["provider"], "ed25519:a");
  opt.weights[1].render_rate = 0;
  try {
    split_job(job, opt);
    FAIL() << "a profile without a render rate was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), ".summary.render_samples_per_s");
  }
}

TEST(RenderSpec, WorkCountsFramesAndSamples) {
  json task = render_job();
  task["kind"] = "task";
  std::string why;
  auto w = task_work(task, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("frame"), 48);
  EXPECT_DOUBLE_EQ(w->at("msample"), 48.0 * 64 * 48 * 8 / 1e6);
  EXPECT_DOUBLE_EQ(w->at("blender_start"), 1);
}

Image gradient(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.rgba.insert(img.rgba.end(), {uint8_t(x * 7), uint8_t(y * 11), uint8_t(x ^ y), 255});
  return img;
}

// A tEXt chunk (its CRC is not checked by the stripper, nor here).
std::string text_chunk(const std::string& key, const std::string& value) {
  const std::string body = key + std::string(1, '\0') + value;
  std::string c;
  for (int s = 24; s >= 0; s -= 8) c += char((body.size() >> s) & 0xff);
  return c + "tEXt" + body + std::string(4, '\0');
}

TEST(RenderPng, RoundTripAndClockChunksStripped) {
  const Image img = gradient(13, 9);
  const std::string png = encode_png(img);
  const Image back = decode_png(png, "test");
  EXPECT_EQ(back.width, 13);
  EXPECT_EQ(back.height, 9);
  EXPECT_EQ(back.rgba, img.rgba);
  EXPECT_EQ(pixels_sha256(back), sha256(img.rgba.data(), img.rgba.size()));

  // After IHDR (8 + 25 bytes): the chunks Blender writes.
  std::string with_text = png.substr(0, 33) + text_chunk("Date", "2026/12/06 09:54:12") + text_chunk("Frame", "05") +
                          text_chunk("RenderTime", "00:00.31") + text_chunk("cycles.ViewLayer.total_time", "00:00.31") +
                          text_chunk("cycles.ViewLayer.samples", "16") + png.substr(33);
  const std::string stripped = strip_png_clock_chunks(with_text);
  EXPECT_EQ(stripped, png.substr(0, 33) + text_chunk("Frame", "05") + text_chunk("cycles.ViewLayer.samples", "16") +
                          png.substr(33));
  EXPECT_THROW(strip_png_clock_chunks(png.substr(0, 40)), Error);
  EXPECT_THROW(decode_png("not a png", "test"), Error);
}

TEST(RenderPng, CropCountsYFromTheBottom) {
  const Image img = gradient(8, 6);
  const Image c = crop_image(img, {2, 1, 5, 3});  // rows 1..2 from the bottom: top-first rows 3 and 4
  ASSERT_EQ(c.width, 3);
  ASSERT_EQ(c.height, 2);
  EXPECT_EQ(c.rgba[0], uint8_t(2 * 7));
  EXPECT_EQ(c.rgba[1], uint8_t(3 * 11));
  EXPECT_EQ(c.rgba[3 * 4 + 1], uint8_t(4 * 11));
  Image blank = img;
  std::fill(blank.rgba.begin(), blank.rgba.end(), 0);
  paste_image(blank, c, {2, 1, 5, 3});
  EXPECT_EQ(crop_image(blank, {2, 1, 5, 3}).rgba, c.rgba);
}

TEST(RenderPng, DistanceOfIdenticalAndDifferentImages) {
  const Image a = gradient(16, 16);
  ImageDistance same = image_distance(a, a);
  EXPECT_TRUE(std::isinf(same.psnr));
  EXPECT_DOUBLE_EQ(same.ssim, 1.0);
  Image b = a;
  for (size_t i = 0; i < b.rgba.size(); i += 4) b.rgba[i] = uint8_t(b.rgba[i] ^ 8);
  ImageDistance d = image_distance(a, b);
  EXPECT_NEAR(d.psnr, 10 * std::log10(255.0 * 255 / (64.0 / 3)), 1e-9);  // every red off by 8
  EXPECT_LT(d.ssim, 1.0);
}

}  // namespace
}  // namespace grid
