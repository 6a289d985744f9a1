// Random exact-GEMM shapes shared by the CPU test (tests/unit/
// exact_gemm_test.cc) and the GPU test (tests/gpu/exact_gemm_gpu_test.cc), so
// both check the same shapes: issue 3 asks for at least 20 random shapes from
// 1x1x1 to 513x257x1031, the same on both sides.
#ifndef GRID_TESTS_EXACT_SHAPES_H
#define GRID_TESTS_EXACT_SHAPES_H

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace grid {

struct GemmShape {
  int m, n, k;
};

const std::uint32_t kRandomShapeSeed = 513257;
const int kRandomShapeCount = 20;
const GemmShape kRandomShapeMax = {513, 257, 1031};

// A size in [1, hi]. Uniform, or log-uniform (bit length uniform, then
// uniform within it) to reach small and skinny sizes too. Uses rng() alone:
// mt19937's sequence is fixed by the standard, the <random> distributions'
// are not, and the list must be the same wherever the tests are built.
inline int random_gemm_dim(std::mt19937& rng, int hi, bool log_scale) {
  if (!log_scale) return 1 + static_cast<int>(rng() % static_cast<std::uint32_t>(hi));
  int top_bit = 0;
  while ((2 << top_bit) <= hi) ++top_bit;
  const int bit = static_cast<int>(rng() % static_cast<std::uint32_t>(top_bit + 1));
  const int lo = 1 << bit, up = std::min(hi, (2 << bit) - 1);
  return lo + static_cast<int>(rng() % static_cast<std::uint32_t>(up - lo + 1));
}

// Even-numbered shapes log-uniform in each dimension (small, skinny and
// tile-edge shapes), odd-numbered uniform (large shapes, which the CPU GEMM
// splits across threads).
inline std::vector<GemmShape> random_gemm_shapes() {
  std::mt19937 rng(kRandomShapeSeed);
  std::vector<GemmShape> shapes;
  for (int i = 0; i < kRandomShapeCount; ++i) {
    const bool log_scale = i % 2 == 0;
    // Braced initializers are evaluated left to right: the order is fixed.
    shapes.push_back(GemmShape{random_gemm_dim(rng, kRandomShapeMax.m, log_scale),
                               random_gemm_dim(rng, kRandomShapeMax.n, log_scale),
                               random_gemm_dim(rng, kRandomShapeMax.k, log_scale)});
  }
  return shapes;
}

}  // namespace grid

#endif  // GRID_TESTS_EXACT_SHAPES_H
