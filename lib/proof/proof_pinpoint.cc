// pinpoint: train results of one task whose roots differ. Their leaves are
// compared to find the first step s where they differ; the last checkpoint
// before s, a state both committed to, is restored and steps up to s re-run
// (never more than one segment). The result whose leaf at s is the
// re-executed state is honest where they part; the other went wrong at
// step s. A step before s that matches neither, or a leaf at s that
// matches neither, means both went wrong.
#include <algorithm>

#include "proof/proof_train.h"

namespace grid {
namespace {

struct Dispute {
  ModeReport::Outcome outcome = ModeReport::Outcome::pass;  // for the result under check
  std::string reason;
  json record = json::object();
};

std::string party(const CheckEntry& e) {
  return e.message["id"].get<std::string>() + " (" + (e.signer.empty() ? std::string("unsigned") : e.signer) + ")";
}

Dispute settle(const CheckContext& c, Trainer& trainer, const Digest& initial, const CheckEntry& other) {
  Dispute d;
  d.record = {{"with", other.message["id"]}, {"provider", other.signer.empty() ? json(nullptr) : json(other.signer)}};
  // Both commitments were checked (check_pinpoint), so the leaves differ
  // somewhere: equal leaves would have the same root.
  const TrainTrace mine = read_train_trace(c.message(), c.task), theirs = read_train_trace(other.message, c.task);
  size_t first = 0;
  while (first < mine.states.size() && mine.states[first] == theirs.states[first]) ++first;
  const int64_t s_star = static_cast<int64_t>(first);
  d.record["first_differing_step"] = s_star;
  size_t cp = 0;  // the first checkpoint where they differ
  while (cp < mine.checkpoints.size() && mine.checkpoints[cp].second == theirs.checkpoints[cp].second) ++cp;
  d.record["first_differing_checkpoint"] = cp < mine.checkpoints.size() ? json(mine.checkpoints[cp].first) : json(nullptr);

  Digest truth;
  if (s_star == 0) {
    // The initial state is the Trainer's own, before any step.
    truth = initial;
    d.record["rerun_from"] = nullptr;
  } else {
    int64_t j = 0;  // the last checkpoint before s*
    while (j + 1 < static_cast<int64_t>(mine.checkpoints.size()) && mine.checkpoints[j + 1].first < s_star) ++j;
    d.record["rerun_from"] = mine.checkpoints[static_cast<size_t>(j)].first;
    bool absent = false;
    if (Status s = restore_checkpoint(c, mine, j, trainer, &absent); !s.ok()) {
      d.outcome = ModeReport::Outcome::inconclusive;
      d.reason = "cannot re-run from the last agreed state: " + s.reason();
      return d;
    }
    for (int64_t s = trainer.step_index() + 1; s < s_star; ++s) {
      trainer.step();
      if (trainer.state_hash() != mine.states[static_cast<size_t>(s)]) {
        d.outcome = ModeReport::Outcome::fail;
        d.reason = "step " + std::to_string(s) + ": its state hash and that of " + party(other) +
                   " both differ from re-execution";
        d.record["honest"] = nullptr;
        return d;
      }
    }
    trainer.step();
    truth = trainer.state_hash();
  }
  const bool me = truth == mine.states[first], them = truth == theirs.states[first];
  d.record["honest"] = me ? c.message()["id"] : them ? other.message["id"] : json(nullptr);
  if (me) return d;
  d.outcome = ModeReport::Outcome::fail;
  d.reason = "step " + std::to_string(s_star) + ": its state hash differs from re-execution; " +
             (them ? party(other) + " has the right one" : "so does that of " + party(other));
  return d;
}

}  // namespace

ModeReport check_pinpoint(CheckContext& c) {
  json disputes = json::array();
  json checked = {{"disputes", disputes}};
  // Roots are compared only between results whose leaves, leaf count and
  // final state are their root's: a result whose leaves are not its root's
  // would otherwise pass by sharing an honest result's root, and win
  // disputes it has no trace for.
  if (Status s = check_train_commitment(c.message(), c.task, read_train_trace(c.message(), c.task)); !s.ok())
    return ModeReport::fail("its own trace does not hold: " + s.reason(), checked);
  const std::string root = c.message()["train"]["trace"]["root"];
  std::vector<const CheckEntry*> others;
  json malformed = json::array();
  for (const CheckEntry* e : c.group) {
    if (e == c.entry || e->type != "train" || e->message["train"]["trace"]["root"] == root) continue;
    if (Status s = check_train_commitment(e->message, c.task, read_train_trace(e->message, c.task)); !s.ok()) {
      // Rejected in its own verdict; nothing to settle against.
      malformed.push_back({{"with", e->message["id"]}, {"reason", s.reason()}});
      continue;
    }
    others.push_back(e);
  }
  if (!malformed.empty()) checked["ignored"] = malformed;
  if (others.empty()) return ModeReport::pass(checked);
  if (!c.task) return task_not_given(c, "pinpoint re-executes it", checked);
  for (const CheckEntry* e : others)
    for (const CheckEntry* r : {c.entry, e})
      if (r->message["header"]["mode"] != "exact")
        return ModeReport::inconclusive("pinpoint compares exact state hashes; " + r->message["id"].get<std::string>() +
                                            " ran in " + r->message["header"]["mode"].get<std::string>() + " mode",
                                        checked);
  Dataset data;
  std::string why;
  std::unique_ptr<Trainer> trainer = make_trainer(c, false, &data, &why);
  if (!trainer) return ModeReport::inconclusive(why, checked);

  const Digest initial = trainer->state_hash();
  std::optional<Dispute> worst;
  for (const CheckEntry* e : others) {
    Dispute d = settle(c, *trainer, initial, *e);
    disputes.push_back(d.record);
    if (d.outcome == ModeReport::Outcome::fail && (!worst || worst->outcome != ModeReport::Outcome::fail)) worst = d;
    if (d.outcome == ModeReport::Outcome::inconclusive && !worst) worst = d;
  }
  checked["disputes"] = disputes;
  if (!worst) return ModeReport::pass(checked);
  if (worst->outcome == ModeReport::Outcome::fail) return ModeReport::fail(worst->reason, checked);
  return ModeReport::inconclusive(worst->reason, checked);
}

}  // namespace grid
