// Fast training's NCCL all-reduce (compute/nccl_sum.h) as a world of one:
// the communicator bootstrapped from a unique id "broadcast" to itself, the
// sum of one rank its own partials' sum. Several ranks need several GPUs
// (NCCL takes one rank a GPU): scripts/gpu-check runs job-run on 2 ranks.
// Needs a GPU: skips when none answers (and in builds without CUDA).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/micro_batch_sum.h"
#include "compute/nccl_sum.h"
#include "core/rank_world.h"

namespace grid {
namespace {

TEST(NcclSum, OneRanksFastSumGoesThroughNcclAndIsItsOwnPartialsSum) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  RankWorld& world = rank_world();  // no launcher here: rank 0 of 1
  ASSERT_EQ(world.size(), 1);
  constexpr size_t kN = 100003;  // not a multiple of NCCL's chunks
  std::vector<float> partials(2 * kN), out;
  for (size_t e = 0; e < kN; ++e) {
    partials[e] = static_cast<float>(e % 97);
    partials[kN + e] = 0.5f;
  }
  MicroBatchSum sum;
  sum.use_nccl(world, rank_cuda_device(cuda_device_count()));
  sum(world, false, partials, 2, kN, &out);
  ASSERT_EQ(out.size(), kN);
  for (size_t e = 0; e < kN; ++e) ASSERT_EQ(out[e], static_cast<float>(e % 97) + 0.5f) << "element " << e;
  // Again, through the kept communicator and buffer.
  sum(world, false, partials, 2, kN, &out);
  EXPECT_EQ(out[kN - 1], static_cast<float>((kN - 1) % 97) + 0.5f);
}

}  // namespace
}  // namespace grid
