// quorum: the results of one task from several providers. The output each
// commits to (train: the final state, gemm: C, infer: the predictions) is
// canonical when at least --k distinct providers signed it; a result with
// another output is rejected; with no such output (or two) the verdict is
// inconclusive.
#include <map>
#include <set>

#include "proof_modes.h"

namespace grid {
namespace {

std::string output_of(const CheckEntry& e) {
  const json& m = e.message;
  if (e.type == "train") return m["train"]["final"]["state_sha256"];
  if (e.type == "gemm") return m["gemm"]["c_sha256"];
  return m["infer"]["predictions_sha256"];
}

}  // namespace

ModeReport check_quorum(CheckContext& c) {
  const int k = c.opt->quorum;
  std::map<std::string, std::set<std::string>> signers;  // output -> distinct providers
  std::set<std::string> providers;
  for (const CheckEntry* e : c.group) {
    if (e->signer.empty() || e->type != c.entry->type) continue;
    signers[output_of(*e)].insert(e->signer);
    providers.insert(e->signer);
  }
  const std::string mine = output_of(*c.entry);
  json checked = {{"k", k}, {"providers", providers.size()}, {"output", mine}};
  if (c.entry->signer.empty())
    return ModeReport::inconclusive("an unsigned result does not count towards a quorum", checked);
  std::vector<std::string> canonical;
  size_t best = 0;
  for (const auto& [out, who] : signers) {
    best = std::max(best, who.size());
    if (static_cast<int>(who.size()) >= k) canonical.push_back(out);
  }
  checked["agree"] = signers[mine].size();
  if (canonical.size() > 1)
    return ModeReport::inconclusive("two outputs each have " + std::to_string(k) + " or more providers: " + canonical[0] +
                                        " and " + canonical[1],
                                    checked);
  if (canonical.empty())
    return ModeReport::inconclusive("no output of task " + c.entry->task_id + " has " + std::to_string(k) +
                                        " distinct providers (the most is " + std::to_string(best) + " of " +
                                        std::to_string(providers.size()) + ")",
                                    checked);
  checked["canonical"] = canonical[0];
  if (canonical[0] != mine)
    return ModeReport::fail("its output " + mine + " differs from " + canonical[0] + ", which " +
                                std::to_string(signers[canonical[0]].size()) + " of " +
                                std::to_string(providers.size()) + " providers agree on",
                            checked);
  return ModeReport::pass(checked);
}

}  // namespace grid
