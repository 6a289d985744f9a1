// quorum: the results of one task from several providers. The output each
// commits to (train: the final state, gemm: C, infer: the predictions) is
// canonical when at least --k distinct providers signed it; a result with
// another output is rejected; with no such output (or two) the verdict is
// inconclusive.
//
// A provider can copy another's published result and sign it as its own.
// Against that, results carry a seal (jobs/result.h, result_seal) binding the
// output to the signer's key, and providers publish the seal before any
// result is revealed. With --seals (the seals committed before the reveal),
// a result counts only when its seal is there: a copier saw the output only
// after the commit deadline, so it has no committed seal and counts for
// nothing. Without --seals a seal only has to match its own signer, task
// and output, which a copier can recompute: copies then count.
#include <map>
#include <set>

#include "jobs/result.h"
#include "proof/proof_modes.h"

namespace grid {
namespace {

// Ok when a result counts towards a quorum; else why it does not.
Status counted(const CheckContext& c, const CheckEntry& e) {
  if (e.signer.empty()) return Status::Fail("an unsigned result does not count towards a quorum");
  const json& m = e.message;
  const bool sealed = m.contains("seal") && m["seal"].is_string();
  if (sealed && m["seal"] != result_seal(e.signer, e.task_id, result_output(m)))
    return Status::Fail("its seal " + m["seal"].get<std::string>() + " is not the seal of its signer, task and output");
  if (c.opt->seals.empty()) return Status::Ok();
  if (!sealed) return Status::Fail("it carries no seal; with --seals only results sealed before the reveal count");
  if (!c.in->seals.count(e.signer + " " + e.task_id + " " + m["seal"].get<std::string>()))
    return Status::Fail("its seal " + m["seal"].get<std::string>() +
                        " is not in --seals: not committed before the results were revealed, it does not count (a "
                        "copy of another provider's result looks like this)");
  return Status::Ok();
}

}  // namespace

ModeReport check_quorum(CheckContext& c) {
  const int k = c.opt->quorum;
  // A provider that signed two outputs for one task has provably cheated
  // (at most one is the task's): it counts for neither, so that it cannot
  // lend its vote to both sides and leave every verdict inconclusive.
  std::map<std::string, std::set<std::string>> outputs_of;  // provider -> outputs it signed
  for (const CheckEntry* e : c.group)
    if (e->type == c.entry->type && counted(c, *e).ok()) outputs_of[e->signer].insert(result_output(e->message));
  std::map<std::string, std::set<std::string>> signers;  // output -> distinct providers
  std::set<std::string> providers;
  for (const auto& [who, outputs] : outputs_of) {
    if (outputs.size() > 1) continue;
    signers[*outputs.begin()].insert(who);
    providers.insert(who);
  }
  const std::string mine = result_output(c.message());
  json checked = {{"k", k}, {"providers", providers.size()}, {"output", mine}};
  if (const Status s = counted(c, *c.entry); !s.ok()) {
    if (c.entry->signer.empty()) return ModeReport::inconclusive(s.reason(), checked);
    return ModeReport::fail(s.reason(), checked);
  }
  if (const auto& outputs = outputs_of[c.entry->signer]; outputs.size() > 1)
    return ModeReport::fail("its signer signed " + std::to_string(outputs.size()) + " different outputs for task " +
                                c.entry->task_id + ": at most one can be right, and it counts for none",
                            checked);
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
