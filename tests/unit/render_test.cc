// The render kind's pixels, without Blender: PNG decoding and encoding,
// clock chunks, crops, distances (its spec and split: job_spec_test.cc).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "jobs/kind_render.h"

namespace grid {
namespace {

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
