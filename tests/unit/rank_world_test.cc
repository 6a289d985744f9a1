// Rank discovery from the launchers' variables, and what a single rank's
// training does with micro-batches (the multi-rank runs are in
// tests/ranks.bats, under real mpirun and srun).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "code_of.h"
#include "compute/micro_batch_sum.h"
#include "compute/mlp.h"
#include "compute/synthetic_data.h"
#include "core/rank_world.h"

namespace grid {
namespace {

const char* const kVars[] = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK",    "PMI_SIZE",
                             "SLURM_PROCID",         "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"};

// Each test starts with none of the launchers' variables and leaves none.
class RankEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* v : kVars) unsetenv(v);
  }
};

TEST_F(RankEnvTest, NoLauncherIsRankZeroOfOne) {
  const RankEnv e = rank_env();
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.size, 1);
  EXPECT_EQ(e.from, "");
}

TEST_F(RankEnvTest, OpenMpiWinsOverPmiAndSlurm) {
  setenv("SLURM_PROCID", "0", 1);
  setenv("SLURM_STEP_NUM_TASKS", "1", 1);
  EXPECT_EQ(rank_env().from, "SLURM_STEP_NUM_TASKS");
  setenv("PMI_RANK", "1", 1);
  setenv("PMI_SIZE", "2", 1);
  EXPECT_EQ(rank_env().from, "PMI_SIZE");
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  const RankEnv e = rank_env();
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.size, 3);
  EXPECT_EQ(e.from, "OMPI_COMM_WORLD_SIZE");
}

TEST_F(RankEnvTest, SlurmRanksAreSrunsStepNotTheJobsTasks) {
  // A batch script of `sbatch -n 4` sees SLURM_NTASKS=4 and SLURM_PROCID=0
  // (measured: Slurm 22.05) but is one process; srun's steps say their size.
  setenv("SLURM_PROCID", "0", 1);
  setenv("SLURM_NTASKS", "4", 1);
  EXPECT_EQ(rank_env().size, 1);
  setenv("SLURM_PROCID", "1", 1);
  setenv("SLURM_STEP_NUM_TASKS", "2", 1);
  const RankEnv e = rank_env();
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.size, 2);
  EXPECT_EQ(e.from, "SLURM_STEP_NUM_TASKS");
}

TEST_F(RankEnvTest, MalformedValuesAreUsageErrors) {
  std::string why;
  setenv("OMPI_COMM_WORLD_RANK", "x", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  EXPECT_EQ(code_of([] { rank_env(); }, &why), Exit::usage);
  EXPECT_EQ(why, "OMPI_COMM_WORLD_RANK=x is not a number");
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  EXPECT_EQ(code_of([] { rank_env(); }, &why), Exit::usage);
  EXPECT_EQ(why, "OMPI_COMM_WORLD_RANK=2 is not a rank of OMPI_COMM_WORLD_SIZE=2");
  setenv("OMPI_COMM_WORLD_RANK", "0", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "0", 1);
  EXPECT_EQ(code_of([] { rank_env(); }), Exit::usage);
}

MlpConfig small_config(int micro_batches) {
  MlpConfig c;
  c.layers = {8, 16, 3};
  c.optimizer = "adam";
  c.lr = 0.01f;
  c.batch = 12;
  c.micro_batches = micro_batches;
  c.steps = 5;
  c.seed = 3;
  return c;
}

TEST(MicroBatches, OneIsTheWholeBatchAndOthersMoveBitsButNotTheMath) {
  const Dataset d = synthetic_blobs(5, 64, 8, 3);
  std::vector<Digest> hashes;
  std::vector<float> losses;
  for (int m : {1, 2, 3, 12}) {
    Trainer t(small_config(m), d, {NumericMode::exact, false, 1});
    while (!t.done()) t.step();
    hashes.push_back(t.state_hash());
    losses.push_back(t.last_loss());
  }
  // The same sums in other orders: other bits, nearly the same numbers.
  for (size_t i = 1; i < hashes.size(); ++i) {
    EXPECT_NE(hashes[i], hashes[0]) << "micro-batch case " << i;
    EXPECT_NEAR(losses[i], losses[0], 1e-5f * losses[0]) << "micro-batch case " << i;
  }
}

TEST(MicroBatches, MustDivideTheBatch) {
  std::string why;
  EXPECT_EQ(code_of([] { validate_mlp_config(small_config(5)); }, &why), Exit::data);
  EXPECT_EQ(why, "micro_batches = 5 does not divide batch = 12");
  EXPECT_EQ(code_of([] { validate_mlp_config(small_config(0)); }), Exit::data);
  EXPECT_EQ(code_of([] { validate_mlp_config(small_config(24)); }), Exit::data);
}

TEST(NcclSum, WithoutAGpuIsADeviceErrorAndRanksShareNone) {
  RankWorld& world = rank_world();  // no launcher here: rank 0 of 1
  MicroBatchSum sum;
  EXPECT_THROW(sum.use_nccl(world, 0), DeviceError);
  // One rank has a GPU of its own when its machine has one; not with none.
  EXPECT_TRUE(gpu_a_rank(world, 1));
  EXPECT_FALSE(gpu_a_rank(world, 0));
  EXPECT_EQ(rank_cuda_device(0), 0);
}

TEST(MicroBatchSum, TermsAddLeftToRightAcrossBlocks) {
  // Magnitudes far apart, so another order of the adds shows in the bits;
  // a length past several blocks of the loop, and not a multiple of one.
  constexpr unsigned kSeed = 21;
  constexpr size_t kLen = 5003;
  std::mt19937 rng(kSeed);
  std::uniform_real_distribution<float> mantissa(-1, 1), exponent(-20, 20);
  std::vector<std::vector<float>> terms(5, std::vector<float>(kLen));
  for (auto& t : terms)
    for (float& x : t) x = std::ldexp(mantissa(rng), static_cast<int>(exponent(rng)));
  std::vector<const float*> at;
  for (const auto& t : terms) at.push_back(t.data());
  std::vector<float> got(kLen);
  sum_in_order(at, kLen, got.data());
  for (size_t e = 0; e < kLen; ++e) {
    float want = terms[0][e];
    for (size_t t = 1; t < terms.size(); ++t) want += terms[t][e];
    ASSERT_EQ(std::memcmp(&got[e], &want, sizeof want), 0) << "seed " << kSeed << " element " << e;
  }
}

}  // namespace
}  // namespace grid
