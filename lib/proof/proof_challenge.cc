// challenge: a gpu-bench answer to a buyer's proof-of-GPU challenge. The
// answer must be signed, answer a request the buyer made (--challenges),
// within its deadline, with rows that recompute exactly (sampled from the
// public draw) under its row root, at a speed that fits the signer's
// profile (--profile).
#include <algorithm>
#include <cmath>

#include "core/merkle.h"
#include "compute/mlp.h"
#include "proof/proof_modes.h"
#include "compute/seeded_matrix.h"
#include "core/text_pad.h"

namespace grid {
namespace {

double claimed_tflops(const json& profile) {
  if (!profile.contains("summary") || !profile["summary"].is_object()) return 0;
  const json& s = profile["summary"];
  return s.contains("exact_gemm_tflops") && s["exact_gemm_tflops"].is_number() ? s["exact_gemm_tflops"].get<double>() : 0;
}

}  // namespace

ModeReport check_challenge(CheckContext& c) {
  const json& m = c.message();
  const json& a = m["answer"];
  json checked = json::object();
  if (c.entry->signer.empty()) return ModeReport::fail(c.entry->sig_problem, checked);

  if (!c.opt->challenges.empty()) {
    auto it = c.in->challenges.find(c.entry->task_id);
    if (it == c.in->challenges.end())
      return ModeReport::fail("it answers request " + c.entry->task_id + ", which is not in --challenges", checked);
    for (const char* f : {"seed", "n", "dtype", "deadline_ms"})
      if (m[f] != it->second[f])
        return ModeReport::fail(std::string("its ") + f + " " + m[f].dump() + " differs from the request's " +
                                    it->second[f].dump(),
                                checked);
    checked["request"] = true;
  } else {
    checked["request"] = "not given";
  }
  if (m["dtype"] != "f32") return ModeReport::fail("dtype " + m["dtype"].dump() + ": only f32 answers can be checked", checked);

  const double elapsed_ms = a["elapsed_ms"], deadline_ms = m["deadline_ms"];
  checked["elapsed_ms"] = elapsed_ms;
  if (!(elapsed_ms <= deadline_ms))
    return ModeReport::fail("it took " + short_number(elapsed_ms) + " ms, past the deadline of " + short_number(deadline_ms) + " ms",
                            checked);

  const int n = m["n"];
  const uint64_t seed = m["seed"];
  const std::vector<Digest> leaves = hex_digests(a["row_leaves"]);
  if (static_cast<int>(leaves.size()) != n)
    return ModeReport::fail(std::to_string(leaves.size()) + " row leaves for n = " + std::to_string(n), checked);
  const Digest root = ref_digest(a["row_root"]);
  if (merkle_root(leaves) != root) return ModeReport::fail("row_root is not the root of row_leaves", checked);

  const int64_t q = sample_count(*c.opt, n, static_cast<int64_t>(std::floor(c.opt->budget * n)));
  const std::vector<int64_t> drawn = draw_indices(c.draw.seed, "challenge", n, q);
  checked["rows"] = index_list(drawn);
  checked["of"] = n;
  std::vector<float> A;
  for (int64_t i : drawn) {
    std::vector<float> row = seeded_rows(seed, kStreamA, static_cast<int>(i), static_cast<int>(i) + 1, n);
    A.insert(A.end(), row.begin(), row.end());
  }
  const std::vector<float> B = seeded_matrix(seed, kStreamB, n, n, c.opt->threads);
  std::vector<float> C(drawn.size() * static_cast<size_t>(n));
  GemmEngine engine;
  engine.cuda = c.device.backend == Backend::cuda;
  engine.threads = c.opt->threads;
  engine.gemm(static_cast<int>(drawn.size()), n, n, A.data(), n, B.data(), n, C.data(), n);
  const std::vector<Digest> got = row_leaf_hashes(C.data(), static_cast<int>(drawn.size()), n);
  for (size_t s = 0; s < drawn.size(); ++s)
    if (got[s] != leaves[static_cast<size_t>(drawn[s])])
      return ModeReport::fail("row " + std::to_string(drawn[s]) + ": the recomputed row differs from row_leaves[" +
                                  std::to_string(drawn[s]) + "]",
                              checked);
  if (Status s = check_inclusion(leaves, drawn, root); !s.ok()) return ModeReport::fail(s.reason(), checked);
  const double detection = sample_detection(*c.opt, n, q);

  // The speed the answer implies, from n and its own elapsed time. That time
  // is the provider's word: one that cannot be true (zero or less) is a
  // reject, not an infinite speed.
  if (!(elapsed_ms > 0)) return ModeReport::fail("its elapsed_ms is " + short_number(elapsed_ms) + ", not a time", checked);
  const double implied = 2.0 * n * n * static_cast<double>(n) / (elapsed_ms * 1e-3) / 1e12;
  checked["tflops"] = implied;
  auto it = c.in->profiles.find(c.entry->signer);
  if (it == c.in->profiles.end())
    return ModeReport::inconclusive("no signed profile of " + c.entry->signer +
                                        " in --profile to compare its speed with",
                                    checked);
  const json* profile = nullptr;
  for (const json& p : it->second)
    if (!profile || claimed_tflops(p) > claimed_tflops(*profile)) profile = &p;
  const double claimed = claimed_tflops(*profile);
  checked["claimed_tflops"] = claimed;
  checked["profile"] = (*profile)["id"];
  if (!(claimed > 0))
    return ModeReport::inconclusive("the profile " + (*profile)["id"].get<std::string>() +
                                        " claims no exact GEMM rate (summary.exact_gemm_tflops)",
                                    checked);
  if (implied < c.opt->slow_factor * claimed)
    return ModeReport::fail("it ran at " + short_number(implied) + " TFLOP/s, below " + short_number(c.opt->slow_factor) + " x the " +
                                short_number(claimed) + " TFLOP/s its profile " + (*profile)["id"].get<std::string>() +
                                " claims",
                            checked);
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, detection);
}

}  // namespace grid
