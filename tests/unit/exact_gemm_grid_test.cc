// The CUDA exact GEMM's launch shape (exact_gemm_grid.h): runs without a
// GPU, as the limits are decided on the host.
#include "compute/exact_gemm_grid.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace grid {
namespace {

TEST(ExactGemmGrid, TilesCoverCAndTheBlocksAreTheirProduct) {
  const ExactGemmGrid g = exact_gemm_grid(129, 257);
  EXPECT_EQ(g.row_tiles, 2);
  EXPECT_EQ(g.col_tiles, 3);
  EXPECT_EQ(g.blocks, 6);
  EXPECT_EQ(exact_gemm_grid(128, 128).blocks, 1);
  EXPECT_EQ(exact_gemm_grid(1, 1).blocks, 1);
}

TEST(ExactGemmGrid, RowsBeyondTheOld65535TileCapFit) {
  // 65535 row tiles was the cap of a grid with rows on gridDim.y.
  const ExactGemmGrid g = exact_gemm_grid(65535 * 128 + 1, 1);
  EXPECT_EQ(g.row_tiles, 65536);
  EXPECT_EQ(g.blocks, 65536);
  EXPECT_EQ(exact_gemm_grid(INT_MAX, 1).row_tiles, (INT_MAX / 128) + 1);
  EXPECT_EQ(exact_gemm_grid(1, INT_MAX).col_tiles, (INT_MAX / 128) + 1);
}

TEST(ExactGemmGrid, SizesNearIntMaxDoNotOverflow) {
  // (m + 127) in int would wrap here and give a negative tile count.
  const ExactGemmGrid g = exact_gemm_grid(INT_MAX - 1, 128);
  EXPECT_EQ(g.row_tiles, 16777216);
  EXPECT_EQ(g.blocks, 16777216);
}

TEST(ExactGemmGrid, MoreBlocksThanOneLaunchHoldsIsADeviceErrorNamingTheSize) {
  try {
    exact_gemm_grid(INT_MAX, INT_MAX);
    FAIL() << "no error";
  } catch (const DeviceError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("m=2147483647 n=2147483647"), std::string::npos) << what;
    EXPECT_NE(what.find("at most 2147483647"), std::string::npos) << what;
  }
  // Either side of the limit: 32768 x 65535 tiles are under 2^31 - 1
  // blocks, 32768 x 65536 are 2^31.
  EXPECT_EQ(exact_gemm_grid(32768 * 128, 65535 * 128).blocks, 32768LL * 65535);
  EXPECT_THROW(exact_gemm_grid(32768 * 128, 65536 * 128), DeviceError);
}

TEST(ExactGemmGrid, SmallTilesOnlyWhenLargeOnesLeaveSmsIdle) {
  // 4096^2: 1024 large tiles fill 132 SMs.
  EXPECT_EQ(exact_gemm_launch_grid(4096, 4096, 132).tile_m, 128);
  EXPECT_EQ(exact_gemm_launch_grid(4096, 4096, 132).blocks, 1024);
  // A training step's 128 x 512: 4 large tiles, so 64 small ones.
  const ExactGemmGrid g = exact_gemm_launch_grid(128, 512, 132);
  EXPECT_EQ(g.tile_m, 32);
  EXPECT_EQ(g.tile_n, 32);
  EXPECT_EQ(g.blocks, 64);
  // The boundary: as many large tiles as SMs stays large.
  EXPECT_EQ(exact_gemm_launch_grid(128 * 12, 128 * 11, 132).tile_m, 128);
  EXPECT_EQ(exact_gemm_launch_grid(128 * 12, 128 * 11 - 128, 132).tile_m, 32);
  // Too many large tiles is refused before small ones are thought of.
  EXPECT_THROW(exact_gemm_launch_grid(INT_MAX, INT_MAX, 132), DeviceError);
}

}  // namespace
}  // namespace grid
