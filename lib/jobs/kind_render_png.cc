// Frames as pixels: PNG decoding and encoding through libpng's simplified
// API (which reports errors in its image struct, never by longjmp), the
// text chunks that hold clocks taken out of Blender's PNGs, crops, and the
// distance between two images that the crop check allows across Blender
// builds.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "jobs/kind_render.h"

namespace grid {
namespace {

// Pixels a frame may decode to: 4 bytes each, 1 GiB.
constexpr uint64_t kMaxPixels = 1ull << 28;
// SSIM's window side and its constants for 8-bit values (Wang et al. 2004).
constexpr int kSsimWindow = 8;
constexpr double kSsimC1 = (0.01 * 255) * (0.01 * 255), kSsimC2 = (0.03 * 255) * (0.03 * 255);

uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

const unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// Whether a tEXt chunk's keyword names a clock: Blender's Date and
// RenderTime, and Cycles' per-layer timings (cycles.<layer>.*_time).
bool clock_keyword(const std::string& key) {
  if (key == "Date" || key == "RenderTime") return true;
  return key.rfind("cycles.", 0) == 0 && key.size() > 5 && key.compare(key.size() - 5, 5, "_time") == 0;
}

}  // namespace

Image decode_png(const std::string& png, const std::string& what) {
  png_image pi;
  std::memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&pi, png.data(), png.size()))
    throw Error(Exit::data, what + " is no PNG: " + pi.message);
  if (static_cast<uint64_t>(pi.width) * pi.height > kMaxPixels) {
    png_image_free(&pi);
    throw Error(Exit::data, what + ": " + std::to_string(pi.width) + "x" + std::to_string(pi.height) +
                                " pixels is more than a frame may have");
  }
  pi.format = PNG_FORMAT_RGBA;
  Image img;
  img.width = static_cast<int>(pi.width);
  img.height = static_cast<int>(pi.height);
  img.rgba.resize(PNG_IMAGE_SIZE(pi));
  if (!png_image_finish_read(&pi, nullptr, img.rgba.data(), 0, nullptr))
    throw Error(Exit::data, what + " does not decode: " + pi.message);
  return img;
}

std::string encode_png(const Image& img) {
  png_image pi;
  std::memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  pi.width = static_cast<png_uint_32>(img.width);
  pi.height = static_cast<png_uint_32>(img.height);
  pi.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(pi, size, 0, img.rgba.data(), 0, nullptr))
    throw Error(Exit::internal, std::string("PNG encoding: ") + pi.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&pi, out.data(), &size, 0, img.rgba.data(), 0, nullptr))
    throw Error(Exit::internal, std::string("PNG encoding: ") + pi.message);
  out.resize(size);
  return out;
}

Digest pixels_sha256(const Image& img) { return sha256(img.rgba.data(), img.rgba.size()); }

std::string strip_png_clock_chunks(const std::string& png) {
  const auto* p = reinterpret_cast<const unsigned char*>(png.data());
  if (png.size() < 8 || std::memcmp(p, kPngSignature, 8) != 0) throw Error(Exit::data, "Blender's output is no PNG");
  std::string out = png.substr(0, 8);
  for (size_t at = 8; at < png.size();) {
    if (png.size() - at < 12) throw Error(Exit::data, "Blender's PNG ends inside a chunk");
    const uint32_t len = be32(p + at);
    if (len > png.size() - at - 12) throw Error(Exit::data, "Blender's PNG has a chunk longer than the file");
    const std::string type = png.substr(at + 4, 4);
    bool keep = true;
    if (type == "tEXt") {
      const std::string body = png.substr(at + 8, len);
      keep = !clock_keyword(body.substr(0, body.find('\0')));
    }
    if (keep) out.append(png, at, 12 + len);
    at += 12 + len;
  }
  return out;
}

Image crop_image(const Image& img, const Box& box) {
  Image out;
  out.width = box.width();
  out.height = box.height();
  out.rgba.resize(static_cast<size_t>(out.width) * out.height * 4);
  // Rows are stored top first; the box's y counts from the bottom.
  for (int r = 0; r < out.height; ++r) {
    const size_t src = (static_cast<size_t>(img.height - box.y1 + r) * img.width + box.x0) * 4;
    std::memcpy(out.rgba.data() + static_cast<size_t>(r) * out.width * 4, img.rgba.data() + src,
                static_cast<size_t>(out.width) * 4);
  }
  return out;
}

void paste_image(Image& img, const Image& tile, const Box& box) {
  for (int r = 0; r < tile.height; ++r) {
    const size_t dst = (static_cast<size_t>(img.height - box.y1 + r) * img.width + box.x0) * 4;
    std::memcpy(img.rgba.data() + dst, tile.rgba.data() + static_cast<size_t>(r) * tile.width * 4,
                static_cast<size_t>(tile.width) * 4);
  }
}

ImageDistance image_distance(const Image& a, const Image& b) {
  ImageDistance d;
  const size_t n = static_cast<size_t>(a.width) * a.height;
  double se = 0;
  for (size_t i = 0; i < n; ++i)
    for (int ch = 0; ch < 3; ++ch) {
      const double e = double(a.rgba[i * 4 + ch]) - double(b.rgba[i * 4 + ch]);
      se += e * e;
    }
  const double mse = n ? se / (3.0 * static_cast<double>(n)) : 0;
  d.psnr = mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(255.0 * 255.0 / mse);

  auto luma = [](const Image& im, size_t i) {
    return 0.299 * im.rgba[i * 4] + 0.587 * im.rgba[i * 4 + 1] + 0.114 * im.rgba[i * 4 + 2];
  };
  // Windows tile the image; a side shorter than a window is one window.
  const int wx = std::min(kSsimWindow, a.width), wy = std::min(kSsimWindow, a.height);
  double sum = 0;
  int windows = 0;
  for (int y0 = 0; y0 + wy <= a.height; y0 += wy)
    for (int x0 = 0; x0 + wx <= a.width; x0 += wx) {
      double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
      for (int y = y0; y < y0 + wy; ++y)
        for (int x = x0; x < x0 + wx; ++x) {
          const size_t i = static_cast<size_t>(y) * a.width + x;
          ma += luma(a, i);
          mb += luma(b, i);
        }
      const double k = wx * wy;
      ma /= k;
      mb /= k;
      for (int y = y0; y < y0 + wy; ++y)
        for (int x = x0; x < x0 + wx; ++x) {
          const size_t i = static_cast<size_t>(y) * a.width + x;
          const double ea = luma(a, i) - ma, eb = luma(b, i) - mb;
          va += ea * ea;
          vb += eb * eb;
          cov += ea * eb;
        }
      va /= k;
      vb /= k;
      cov /= k;
      sum += ((2 * ma * mb + kSsimC1) * (2 * cov + kSsimC2)) / ((ma * ma + mb * mb + kSsimC1) * (va + vb + kSsimC2));
      ++windows;
    }
  d.ssim = windows ? sum / windows : 1;
  return d;
}

}  // namespace grid
