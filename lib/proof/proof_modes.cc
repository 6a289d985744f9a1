#include "proof/proof_modes.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/merkle.h"
#include "core/net.h"
#include "core/store.h"
#include "proof/proof_kinds.h"

namespace grid {

const std::vector<ProofMode>& proof_modes() {
  static const std::vector<ProofMode> table = {
      // name, what, then the check for every job kind (nullptr: each kind's
      // own, proof_kinds.h), for challenge answers, for other types
      {"sig", "ids and signatures; with --leases, the lease's provider and task", check_sig, check_sig, check_sig},
      {"trace", "leaves against the root, checkpoints against their leaves, inclusion proofs", nullptr, nullptr,
       nullptr},
      {"spot", "re-execute sampled pieces: segments of a training run, rows of a GEMM, batches of predictions, "
       "crops of frames",
       nullptr, nullptr, nullptr},
      {"rows", "recompute sampled rows of a GEMM exactly and check them against the row root", nullptr, nullptr,
       nullptr},
      {"freivalds", "Freivalds' check of a whole GEMM output against an FP32 error bound", nullptr, nullptr,
       nullptr},
      {"crop", "re-render a drawn crop of drawn frames in Blender and compare its pixels", nullptr, nullptr,
       nullptr},
      {"rerun", "run sampled tasks of a job again in the same sandbox and compare what each result commits to",
       nullptr, nullptr, nullptr},
      {"compare", "run the task's comparator in the sandbox on the result's outputs and a rerun's (exit 0: equivalent)",
       nullptr, nullptr, nullptr},
      {"pinpoint", "two results of one task that disagree: re-run where they part, name the honest one", nullptr,
       nullptr, nullptr},
      {"quorum", "k-of-n agreement of distinct providers on a task's output hash", check_quorum, nullptr, nullptr},
      {"challenge", "a proof-of-GPU answer: signature, request, deadline, sampled rows, speed", nullptr,
       check_challenge, nullptr},
  };
  return table;
}

std::vector<std::string> proof_mode_names() {
  std::vector<std::string> names;
  for (const ProofMode& m : proof_modes()) names.push_back(m.name);
  return names;
}

const ProofMode* find_proof_mode(const std::string& name) {
  for (const ProofMode& m : proof_modes())
    if (name == m.name) return &m;
  return nullptr;
}

ModeFn mode_check_for(const ProofMode& mode, const std::string& type) {
  if (type == "challenge") return mode.challenge;
  const ProofKind* kind = find_proof_kind(type);
  if (!kind) return mode.other;
  if (mode.every_kind) return mode.every_kind;
  for (const auto& [name, check] : kind->checks)
    if (name == mode.name) return check;
  return nullptr;
}

ModeReport ModeReport::pass(json checked, std::optional<double> detection) {
  ModeReport r;
  r.checked = std::move(checked);
  r.detection = detection;
  return r;
}

ModeReport ModeReport::fail(std::string why, json checked) {
  ModeReport r;
  r.outcome = Outcome::fail;
  r.reason = std::move(why);
  r.checked = std::move(checked);
  return r;
}

ModeReport ModeReport::inconclusive(std::string why, json checked) {
  ModeReport r;
  r.outcome = Outcome::inconclusive;
  r.reason = std::move(why);
  r.checked = std::move(checked);
  return r;
}

ModeReport task_not_given(const CheckContext& c, const std::string& use, json checked) {
  ModeReport r = ModeReport::inconclusive("task " + c.entry->task_id + " is not given (--tasks or --leases): " + use,
                                          std::move(checked));
  r.task_missing = true;
  return r;
}

int64_t sample_count(const ProofOptions& opt, int64_t units, int64_t affordable) {
  if (units <= 0) return 0;
  int64_t q = opt.samples > 0
                  ? opt.samples
                  : samples_for_detection(units, faked_units(units, opt.cheat_fraction), opt.detect);
  if (opt.budget < 1) q = std::min(q, std::max<int64_t>(1, affordable));
  return std::min(q, units);
}

double sample_detection(const ProofOptions& opt, int64_t units, int64_t q) {
  return detection_probability(units, faked_units(units, opt.cheat_fraction), q);
}

Fetched fetch_object(const CheckContext& c, const Digest& key) {
  Fetched f;
  if (c.store && c.store->has(key)) {
    try {
      f.bytes = c.store->get(key);
      f.state = Fetched::State::found;
      return f;
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      f.state = Fetched::State::corrupt;
      f.problem = e.what();
      return f;
    }
  }
  if (c.opt->store_url.empty()) {
    f.problem = sha256_ref(key) + " is not in the store" + (c.store ? " " + c.store->dir() : std::string()) +
                " (give the provider's store with --store or --store-url)";
    return f;
  }
  std::string base = c.opt->store_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string h = hex(key);
  const std::string url = base + "/sha256/" + h.substr(0, 2) + "/" + h.substr(2);
  try {
    f.bytes = fetch_bytes(url, key);
    f.state = Fetched::State::found;
  } catch (const Error& e) {
    if (e.code() == Exit::no_input) {
      f.problem = sha256_ref(key) + " is not at " + redact_url(url);
    } else if (e.code() == Exit::data) {
      f.state = Fetched::State::corrupt;
      f.problem = e.what();
    } else {
      throw;
    }
  }
  return f;
}

std::vector<Digest> hex_digests(const json& list) {
  std::vector<Digest> out;
  out.reserve(list.size());
  for (const json& h : list) {
    Digest d{};
    unhex(h.get_ref<const std::string&>(), d.data(), d.size());
    out.push_back(d);
  }
  return out;
}

Digest ref_digest(const json& ref) {
  Digest d{};
  parse_sha256_ref(ref.get_ref<const std::string&>(), &d);
  return d;
}

std::vector<Digest> leaf_hashes_of(const std::vector<Digest>& digests) {
  std::vector<Digest> out;
  out.reserve(digests.size());
  for (const Digest& d : digests)
    out.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())));
  return out;
}

Status check_inclusion(const std::vector<Digest>& leaf_hashes, const std::vector<int64_t>& indices,
                       const Digest& root) {
  // The tree's levels, built once: pairing neighbours bottom-up and
  // carrying an unpaired last node up unchanged gives RFC 6962's tree, so
  // each audit path is read off in O(log n) instead of rebuilt in O(n)
  // (a trace with thousands of checkpoints has thousands of proofs).
  std::vector<std::vector<Digest>> levels{leaf_hashes};
  while (levels.back().size() > 1) {
    const std::vector<Digest>& below = levels.back();
    std::vector<Digest> up;
    up.reserve((below.size() + 1) / 2);
    for (size_t j = 0; j + 1 < below.size(); j += 2) up.push_back(merkle_node_hash(below[j], below[j + 1]));
    if (below.size() % 2) up.push_back(below.back());
    levels.push_back(std::move(up));
  }
  for (int64_t i : indices) {
    const size_t at = static_cast<size_t>(i);
    if (at >= leaf_hashes.size()) return Status::Fail("leaf " + std::to_string(i) + " is past the last leaf");
    std::vector<Digest> path;
    for (size_t l = 0, m = at; l + 1 < levels.size(); ++l, m /= 2)
      if ((m ^ 1) < levels[l].size()) path.push_back(levels[l][m ^ 1]);
    if (!merkle_verify_inclusion(leaf_hashes[at], at, leaf_hashes.size(), path, root))
      return Status::Fail("the inclusion proof of leaf " + std::to_string(i) + " does not verify against the root");
  }
  return Status::Ok();
}

json index_list(const std::vector<int64_t>& v) {
  json out = json::array();
  for (int64_t i : v) out.push_back(i);
  return out;
}

}  // namespace grid
