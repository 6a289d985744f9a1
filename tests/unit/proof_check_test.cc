#include "proof/proof_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "core/merkle.h"
#include "jobs/job_spec.h"
#include "proof/proof_kinds.h"
#include "proof/proof_train.h"

namespace grid {
namespace {

std::vector<std::string> names(const std::vector<const ProofMode*>& modes) {
  std::vector<std::string> out;
  for (const ProofMode* m : modes) out.push_back(m->name);
  return out;
}

TEST(ProofModes, DefaultListAndTableOrder) {
  EXPECT_EQ(names(parse_mode_list({})), (std::vector<std::string>{"sig", "trace", "spot"}));
  EXPECT_EQ(names(parse_mode_list({"quorum", "sig", "freivalds"})),
            (std::vector<std::string>{"sig", "freivalds", "quorum"}));
  try {
    parse_mode_list({"sig", "nope"});
    FAIL() << "an unknown mode was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::usage);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  EXPECT_EQ(names(parse_mode_list({"pinpoint"})), (std::vector<std::string>{"pinpoint"}));
}

TEST(ProofModes, EveryModeAppliesToSomethingAndSigToEverything) {
  for (const ProofMode& m : proof_modes()) {
    bool any = false;
    for (const char* type : {"train", "gemm", "infer", "exec", "challenge", "render"}) any = any || mode_check_for(m, type);
    EXPECT_TRUE(any) << m.name;
  }
  const ProofMode* sig = find_proof_mode("sig");
  ASSERT_NE(sig, nullptr);
  for (const char* type : {"train", "gemm", "infer", "exec", "challenge", "render"}) EXPECT_EQ(mode_check_for(*sig, type), check_sig);
  // spot on a gemm result is the rows check, so both run it once.
  EXPECT_EQ(mode_check_for(*find_proof_mode("spot"), "gemm"), mode_check_for(*find_proof_mode("rows"), "gemm"));
  EXPECT_EQ(mode_check_for(*find_proof_mode("trace"), "challenge"), nullptr);
}

TEST(ProofKinds, OneRowForEachJobKindAndOnlyKnownModes) {
  std::set<std::string> jobs, proofs;
  for (const JobKind& k : job_kinds()) jobs.insert(k.name);
  for (const ProofKind& k : proof_kinds()) {
    EXPECT_TRUE(proofs.insert(k.name).second) << k.name << " has two rows";
    EXPECT_NE(k.check_part, nullptr) << k.name;
    for (const auto& [mode, check] : k.checks) {
      const ProofMode* m = find_proof_mode(mode);
      ASSERT_NE(m, nullptr) << k.name << " names no mode " << mode;
      EXPECT_EQ(m->every_kind, nullptr) << mode << " has one check for every kind; " << k.name << "'s is never run";
      EXPECT_EQ(mode_check_for(*m, k.name), check) << k.name << " " << mode;
    }
  }
  EXPECT_EQ(proofs, jobs) << "proof_kinds() and job_kinds() name different kinds";
  EXPECT_EQ(find_proof_kind("bake"), nullptr);
}

CheckEntry entry(const std::string& type) {
  CheckEntry e;
  e.message = {{"id", "sha256:r"}};
  e.type = type;
  e.task_id = "sha256:t";
  e.signer = "ed25519:p";
  return e;
}

TEST(ProofVerdict, StatusReasonAndDetection) {
  const CheckEntry e = entry("train");
  Draw draw{};
  const ProofMode* sig = find_proof_mode("sig");
  const ProofMode* trace = find_proof_mode("trace");
  const ProofMode* spot = find_proof_mode("spot");

  json v = make_verdict(e, {{sig, ModeReport::pass({})}, {spot, ModeReport::pass({}, 0.75)}}, {}, draw, 0.5);
  EXPECT_EQ(v["status"], "accept");
  EXPECT_FALSE(v.contains("reason"));
  EXPECT_EQ(v["detection_probability"], 0.75);
  EXPECT_EQ(v["checked"]["spot"]["detection_probability"], 0.75);
  EXPECT_EQ(v["modes"], json({"sig", "spot"}));
  EXPECT_EQ(v["provider"], "ed25519:p");
  EXPECT_EQ(v["task"], "sha256:t");
  EXPECT_EQ(v["verifier_seconds"], 0.5);

  // A reject wins over an inconclusive, and names its mode.
  v = make_verdict(e,
                   {{sig, ModeReport::pass({})},
                    {trace, ModeReport::inconclusive("no checkpoint")},
                    {spot, ModeReport::fail("segment 3: bad")}},
                   {}, draw, 0);
  EXPECT_EQ(v["status"], "reject");
  EXPECT_EQ(v["reason"], "spot: segment 3: bad");
  EXPECT_TRUE(v["detection_probability"].is_null());

  v = make_verdict(e, {{sig, ModeReport::pass({})}, {trace, ModeReport::inconclusive("no checkpoint")}}, {}, draw, 0);
  EXPECT_EQ(v["status"], "inconclusive");
  EXPECT_EQ(v["reason"], "trace: no checkpoint");

  // Only sig ran though more was asked for: not an accept.
  CheckEntry c = entry("challenge");
  v = make_verdict(c, {{sig, ModeReport::pass({})}}, {"trace", "spot"}, draw, 0);
  EXPECT_EQ(v["status"], "inconclusive");
  EXPECT_EQ(v["request"], "sha256:t");
  EXPECT_EQ(v["skipped"], json({"trace", "spot"}));
  // Only sig asked for: an accept.
  v = make_verdict(c, {{sig, ModeReport::pass({})}}, {}, draw, 0);
  EXPECT_EQ(v["status"], "accept");
}

TEST(ProofFastLoss, RelativeAwayFromZeroAbsoluteNearIt) {
  EXPECT_TRUE(fast_loss_agrees(1.0f, 1.04f));
  EXPECT_TRUE(fast_loss_agrees(1.04f, 1.0f));
  EXPECT_FALSE(fast_loss_agrees(1.0f, 1.06f));
  EXPECT_FALSE(fast_loss_agrees(0.8f, 1.0f));  // a loss reported 20% low
  EXPECT_FALSE(fast_loss_agrees(0.5f, 1.0f));
  // Near zero, whole rounding quanta apart: not a lie worth a reject.
  EXPECT_TRUE(fast_loss_agrees(0.0f, 2.4e-7f));
  EXPECT_TRUE(fast_loss_agrees(1.2e-7f, 0.0f));
  EXPECT_TRUE(fast_loss_agrees(1.3e-6f, 1.9e-6f));
  EXPECT_FALSE(fast_loss_agrees(0.0f, 1e-5f));
  EXPECT_FALSE(fast_loss_agrees(1e-4f, 1e-3f));
  // Null claims (NaN) stand for non-finite losses, and only those.
  const float nan = std::nanf(""), inf = INFINITY;
  EXPECT_TRUE(fast_loss_agrees(nan, nan));
  EXPECT_TRUE(fast_loss_agrees(nan, inf));
  EXPECT_FALSE(fast_loss_agrees(nan, 1.0f));
  EXPECT_FALSE(fast_loss_agrees(1.0f, inf));
  EXPECT_FALSE(fast_loss_agrees(1.0f, nan));
}

TEST(ProofSampleCount, DetectSamplesAndBudget) {
  ProofOptions opt;
  EXPECT_EQ(sample_count(opt, 1000000, 1000000), 44);
  EXPECT_EQ(sample_count(opt, 10, 10), 10);
  opt.budget = 0.5;
  EXPECT_EQ(sample_count(opt, 10, 5), 5);
  EXPECT_EQ(sample_count(opt, 10, 0), 1);  // at least one unit
  opt.budget = 1;
  opt.samples = 3;
  EXPECT_EQ(sample_count(opt, 10, 10), 3);
  EXPECT_EQ(sample_count(opt, 2, 2), 2);
  EXPECT_EQ(sample_count(opt, 0, 0), 0);
  EXPECT_DOUBLE_EQ(sample_detection(opt, 10, 3), 0.3);
}

}  // namespace
}  // namespace grid

// check_inclusion reads audit paths off levels built once; every leaf of
// every tree size must still prove against merkle_root (RFC 6962), and
// none against another root.
TEST(ProofInclusion, EveryLeafOfEverySizeProves) {
  for (size_t n = 1; n <= 70; ++n) {
    std::vector<grid::Digest> leaves;
    for (size_t i = 0; i < n; ++i) leaves.push_back(grid::merkle_leaf_hash("leaf " + std::to_string(i)));
    std::vector<int64_t> all;
    for (size_t i = 0; i < n; ++i) all.push_back(static_cast<int64_t>(i));
    const grid::Digest root = grid::merkle_root(leaves);
    EXPECT_TRUE(grid::check_inclusion(leaves, all, root).ok()) << n;
    grid::Digest other = root;
    other[0] ^= 1;
    EXPECT_FALSE(grid::check_inclusion(leaves, {static_cast<int64_t>(n - 1)}, other).ok()) << n;
    EXPECT_FALSE(grid::check_inclusion(leaves, {static_cast<int64_t>(n)}, root).ok()) << n;
  }
}
