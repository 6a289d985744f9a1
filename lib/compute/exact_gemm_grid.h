// The launch shape of the CUDA exact GEMM (lib/cuda/exact_gemm.cu): which
// blocks it starts for an m x n C, and which sizes it refuses. Plain C++,
// so the limits are tested on machines without a GPU.
#ifndef GRID_EXACT_GEMM_GRID_H
#define GRID_EXACT_GEMM_GRID_H

#include <cstdint>
#include <string>

#include "core/device_error.h"

namespace grid {

// Outputs per block: 128 x 128 (the tiling is exact_gemm_tiling.h), or
// 32 x 32 for a C that would leave SMs idle with the large tile.
constexpr int kExactGemmTileM = 128;
constexpr int kExactGemmTileN = 128;
constexpr int kExactGemmSmallTile = 32;
// Blocks go on gridDim.x alone, whose limit is 2^31 - 1 (gridDim.y's 65535
// would cap C at 4 194 240 rows). A C with more large tiles than that holds
// at least 2^31 * 16384 floats, 128 TiB, far beyond any GPU's memory.
constexpr std::int64_t kExactGemmMaxBlocks = 2147483647;

struct ExactGemmGrid {
  std::int64_t row_tiles = 0, col_tiles = 0, blocks = 0;
  int tile_m = kExactGemmTileM, tile_n = kExactGemmTileN;
};

// The blocks for an m x n C (m, n >= 0) in tiles of tile_m x tile_n: tile
// (r, c) is block r * col_tiles + c, so neighbouring blocks share a row
// panel of A as they did on a 2-D grid. Throws DeviceError, naming m and n,
// when the blocks exceed kExactGemmMaxBlocks.
inline ExactGemmGrid exact_gemm_grid(int m, int n, int tile_m = kExactGemmTileM, int tile_n = kExactGemmTileN) {
  ExactGemmGrid g;
  g.tile_m = tile_m;
  g.tile_n = tile_n;
  g.row_tiles = (std::int64_t{m} + tile_m - 1) / tile_m;
  g.col_tiles = (std::int64_t{n} + tile_n - 1) / tile_n;
  g.blocks = g.row_tiles * g.col_tiles;
  if (g.blocks > kExactGemmMaxBlocks)
    throw DeviceError("exact_gemm_cuda: m=" + std::to_string(m) + " n=" + std::to_string(n) + " needs " +
                      std::to_string(g.blocks) + " blocks of " + std::to_string(tile_m) + "x" +
                      std::to_string(tile_n) + " outputs; the kernel launches at most " +
                      std::to_string(kExactGemmMaxBlocks));
  return g;
}

// The grid the kernel runs on a GPU of `sms` multiprocessors: large tiles,
// unless they are fewer than the SMs (a training step's GEMMs, 128 batch
// rows by a layer's width): then small ones, 16 times as many blocks. The
// chain of every output is the same either way; only the speed differs.
inline ExactGemmGrid exact_gemm_launch_grid(int m, int n, int sms) {
  const ExactGemmGrid large = exact_gemm_grid(m, n);
  if (large.blocks >= sms) return large;
  return exact_gemm_grid(m, n, kExactGemmSmallTile, kExactGemmSmallTile);
}

}  // namespace grid

#endif  // GRID_EXACT_GEMM_GRID_H
