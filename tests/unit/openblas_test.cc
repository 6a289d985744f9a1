// OpenBLAS's core type chosen from the CPU's features, and its loader
// (openblas.h). That the user's OPENBLAS_CORETYPE wins, and that tools which
// never run fast mode never load the library, need fresh processes: those
// are in tests/job-run.bats and tests/gpu-bench.bats.
#include "compute/openblas.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cpu_feature_sets.h"

namespace grid {
namespace {

using Cores = std::vector<std::string>;

#if defined(__x86_64__)

TEST(OpenblasCore, Avx512WithBf16IsCooperlake) {
  CpuFeatures f = avx512();
  f.avx512bf16 = true;
  EXPECT_EQ(openblas_core_choice(f), "Cooperlake");
  EXPECT_EQ(openblas_cores_runnable(f), (Cores{"Cooperlake", "SkylakeX", "Haswell", "Sandybridge", "Prescott"}));
}

TEST(OpenblasCore, Avx512IsSkylakeXOnEitherVendor) {
  EXPECT_EQ(openblas_core_choice(avx512()), "SkylakeX");
  CpuFeatures zen4 = avx512();
  zen4.amd = true;
  EXPECT_EQ(openblas_core_choice(zen4), "SkylakeX");
  EXPECT_EQ(openblas_cores_runnable(zen4), (Cores{"SkylakeX", "Zen", "Haswell", "Sandybridge", "Prescott"}));
}

TEST(OpenblasCore, Avx512WithoutItsWholeSkylakeSetIsNotSkylakeX) {
  // Xeon Phi (Knights Landing): AVX-512 F and CD, but no BW, DQ or VL.
  CpuFeatures knl = avx2_fma();
  knl.avx512f = knl.avx512cd = true;
  EXPECT_EQ(openblas_core_choice(knl), "Haswell");
  CpuFeatures f = avx512();
  f.avx512vl = false;
  f.avx512bf16 = true;
  EXPECT_EQ(openblas_core_choice(f), "Haswell");
}

TEST(OpenblasCore, Avx2AndFmaIsHaswellOnIntelAndZenOnAmd) {
  EXPECT_EQ(openblas_core_choice(avx2_fma()), "Haswell");
  CpuFeatures zen = avx2_fma();
  zen.amd = true;
  EXPECT_EQ(openblas_core_choice(zen), "Zen");
  EXPECT_EQ(openblas_cores_runnable(zen), (Cores{"Zen", "Haswell", "Sandybridge", "Prescott"}));
}

TEST(OpenblasCore, BelowAvx2AndFmaTheChoiceIsLeftToOpenblas) {
  CpuFeatures no_fma = avx2_fma();
  no_fma.fma = false;
  EXPECT_EQ(openblas_core_choice(no_fma), "");
  CpuFeatures avx_only;
  avx_only.avx = true;
  EXPECT_EQ(openblas_core_choice(avx_only), "");
  EXPECT_EQ(openblas_cores_runnable(avx_only), (Cores{"Sandybridge", "Prescott"}));
  EXPECT_EQ(openblas_core_choice(CpuFeatures{}), "");
  EXPECT_EQ(openblas_cores_runnable(CpuFeatures{}), (Cores{"Prescott"}));
}

TEST(OpenblasCore, ThisCpusChoiceIsAmongWhatItCanRun) {
  const CpuFeatures f = cpu_features();
  const std::string choice = openblas_core_choice(f);
  const Cores runnable = openblas_cores_runnable(f);
  ASSERT_FALSE(runnable.empty());
  EXPECT_EQ(runnable.back(), "Prescott");
  if (f.avx2 && f.fma) EXPECT_EQ(choice, runnable.front());
  else EXPECT_EQ(choice, "");
}

#endif

TEST(OpenblasLoad, AMissingLibraryIsNamedInTheReason) {
  std::string why;
  EXPECT_FALSE(load_openblas("libgridutils-no-such-blas.so.0", "", &why));
  EXPECT_NE(why.find("libgridutils-no-such-blas.so.0"), std::string::npos) << why;
}

TEST(OpenblasLoad, ALibraryThatIsNotOpenblasIsRefusedNamingWhatItLacks) {
  std::string why;
  EXPECT_FALSE(load_openblas("libm.so.6", "", &why));
  EXPECT_EQ(why, "libm.so.6 is not OpenBLAS: it lacks cblas_sgemm, openblas_set_num_threads, openblas_get_corename");
}

TEST(OpenblasLoad, TheSystemLibraryLoadsAndNamesItsCore) {
  const Openblas& b = openblas();
  EXPECT_NE(b.library.find("openblas"), std::string::npos) << b.library;
  EXPECT_FALSE(b.core.empty());
  EXPECT_NE(b.core, "unknown");
  const float a[] = {1, 2, 3, 4}, x[] = {5, 6, 7, 8};
  float c[4] = {};
  b.sgemm(101, 111, 111, 2, 2, 2, 1.0f, a, 2, x, 2, 0.0f, c, 2);  // row-major, no transposes
  EXPECT_EQ(std::vector<float>(c, c + 4), (std::vector<float>{19, 22, 43, 50}));
}

}  // namespace
}  // namespace grid
