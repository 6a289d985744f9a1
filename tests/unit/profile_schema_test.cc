#include "measure/profile_schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "market/need_expr.h"
#include "measure/gpu_bench.h"

namespace grid {
namespace {

SchemaMatch match(const std::string& path) {
  NeedExpr e;
  std::string error;
  EXPECT_TRUE(NeedExpr::parse(path + " == 1", &e, &error)) << error;
  EXPECT_EQ(e.paths().size(), 1u);
  return match_profile_path(e.paths().front().steps);
}

TEST(ProfileSchema, NamesEverySectionGpuBenchMeasures) {
  for (const BenchSection& s : bench_sections()) EXPECT_TRUE(profile_schema().contains(s.name)) << s.name;
}

TEST(ProfileSchema, KnowsDeepPathsOnCpuAndGpu) {
  for (const char* p : {"kinds.exact.train.step", "kinds.fast.infer.batch", "gemm.exact_f32.best.tflops.median",
                        "gemm.fast_f32.sweep[3].check.ok", "gemm.fast_bf16.best.tflops.median", "gpus[0].name",
                        "gpus[1].compute_capability", "nccl.sizes[0].busbw_gbps.median", "pcie.h2d_gbps.median",
                        "summary.gpu_count", "render.blender.version", "host.logical_cores", "kinds.exact"}) {
    const SchemaMatch m = match(p);
    EXPECT_TRUE(m.whole) << p << " stops after " << m.known << " step(s)";
  }
}

TEST(ProfileSchema, AMisspelledStepNamesTheMembersWhereItIs) {
  SchemaMatch m = match("kinds.exact.trian.step");
  EXPECT_FALSE(m.whole);
  EXPECT_EQ(m.known, 2u);
  EXPECT_EQ(m.there, (std::vector<std::string>{"exec", "gemm", "infer", "render", "skipped", "train"}));
  m = match("summary.gpu_modle");
  EXPECT_EQ(m.known, 1u);
  EXPECT_NE(std::find(m.there.begin(), m.there.end(), "gpu_model"), m.there.end());
  m = match("gpu[0].x");
  EXPECT_EQ(m.known, 0u);
  EXPECT_NE(std::find(m.there.begin(), m.there.end(), "gpus"), m.there.end());
}

TEST(ProfileSchema, ListsAndValuesAreTold) {
  SchemaMatch m = match("gpus.name");  // a list named as an object
  EXPECT_EQ(m.known, 1u);
  EXPECT_EQ(m.there, std::vector<std::string>{"#"});
  m = match("summary[0]");  // an object indexed as a list
  EXPECT_EQ(m.known, 1u);
  EXPECT_FALSE(m.there.empty());
  m = match("summary.gpu_count.max");  // below a value
  EXPECT_EQ(m.known, 2u);
  EXPECT_TRUE(m.there.empty());
}

}  // namespace
}  // namespace grid
