// trace and spot for train results. A train result commits to the state
// hash after every step (leaf i after step i, i = 0..steps) and stores the
// state every checkpoint_every steps. spot restores sampled segments' first
// checkpoints and re-runs them with the Trainer job-run trains with,
// comparing every step's state hash with its leaf.
#include "proof/proof_train.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "jobs/dataset_load.h"
#include "core/error.h"
#include "core/merkle.h"
#include "jobs/result.h"
#include "core/store.h"
#include "compute/train_config.h"

namespace grid {
namespace {

std::string step_text(int64_t s) { return std::to_string(s); }

// Every state carries its step counter, so no two states of a run are
// equal: a repeated leaf is a step that was not run.
Status check_distinct(const TrainTrace& t) {
  std::unordered_map<std::string, size_t> seen;
  seen.reserve(t.states.size());
  for (size_t i = 0; i < t.states.size(); ++i) {
    auto [it, fresh] = seen.emplace(std::string(t.states[i].begin(), t.states[i].end()), i);
    if (!fresh)
      return Status::Fail("leaf " + std::to_string(i) + " repeats leaf " + std::to_string(it->second) +
                          ": every state holds its step, so a repeated state hash is a step not run");
  }
  return Status::Ok();
}

// The same loss bit for bit, a null claim standing for a non-finite one.
// The claim is compared as the JSON number it is: job-run writes a float's
// exact value, so a number between two floats (any of the many decimals
// that round to the loss) is no report of it.
bool same_loss(double claimed, float got) {
  return (std::isnan(claimed) && !std::isfinite(got)) || claimed == static_cast<double>(got);
}

// job-run reports the loss at every checkpoint after the initial one:
// exactly those steps, once each. After check_train_layout, so the
// checkpoints are where they belong.
Status check_train_losses(const json& result, const TrainTrace& t) {
  const json& part = result["train"];
  std::set<int64_t> grid_steps;
  for (size_t i = 1; i < t.checkpoints.size(); ++i) grid_steps.insert(t.checkpoints[i].first);
  if (!part.contains("losses")) return Status::Fail("losses: missing; want one per checkpoint step after step 0");
  std::set<int64_t> seen;
  for (const json& l : part["losses"]) {
    const int64_t s = l["step"];
    if (!grid_steps.count(s))
      return Status::Fail("losses: step " + step_text(s) + " is not a checkpoint step (step 0 excluded)");
    if (!seen.insert(s).second) return Status::Fail("losses: step " + step_text(s) + " is reported twice");
  }
  for (int64_t s : grid_steps)
    if (!seen.count(s)) return Status::Fail("losses: no loss for checkpoint step " + step_text(s));
  return Status::Ok();
}

}  // namespace

std::optional<double> claimed_loss(const json& part, int64_t step) {
  if (!part.contains("losses")) return std::nullopt;
  for (const json& l : part["losses"])
    if (l["step"].get<int64_t>() == step) return l["loss"].is_null() ? std::nan("") : l["loss"].get<double>();
  return std::nullopt;
}

double claimed_final_loss(const json& part) {
  const json& fl = part["final"]["loss"];
  return fl.is_null() ? std::nan("") : fl.get<double>();
}

Status check_final_model(const json& part, const Trainer& trainer) {
  const Digest model = sha256(trainer.serialize_model());
  if (model != ref_digest(part["final"]["model_sha256"]))
    return Status::Fail("final.model_sha256 is not the model of the final state (" + sha256_ref(model) + ")");
  return Status::Ok();
}

TrainTrace read_train_trace(const json& result, const json* task) {
  const json& part = result["train"];
  const json& t = part["trace"];
  TrainTrace out;
  out.states = hex_digests(t["leaves"]);
  for (const json& cp : t["checkpoints"]) out.checkpoints.emplace_back(cp["step"].get<int64_t>(), ref_digest(cp["sha256"]));
  out.root = ref_digest(t["root"]);
  out.steps = task ? (*task)["train"]["steps"].get<int64_t>() : part["final"]["step"].get<int64_t>();
  return out;
}

Status check_train_layout(const json& result, const json* task, const TrainTrace& t) {
  const json& part = result["train"];
  const int64_t steps = t.steps;
  if (static_cast<int64_t>(t.states.size()) != steps + 1)
    return Status::Fail(std::to_string(t.states.size()) + " leaves for " + step_text(steps) + " steps: want " +
                        std::to_string(steps + 1) + " (the initial state and one per step)");
  if (part["final"]["step"].get<int64_t>() != steps)
    return Status::Fail("final.step is " + part["final"]["step"].dump() + ", the task has " + step_text(steps) + " steps");
  if (ref_digest(part["final"]["state_sha256"]) != t.states.back())
    return Status::Fail("final.state_sha256 differs from leaf " + step_text(steps));
  const int64_t every = part["trace"]["checkpoint_every"];
  if (task && (*task)["train"]["checkpoint_every"].get<int64_t>() != every)
    return Status::Fail("checkpoint_every is " + std::to_string(every) + ", the task's " +
                        (*task)["train"]["checkpoint_every"].dump());
  std::vector<int64_t> want;
  for (int64_t s = 0; s < steps; s += every) want.push_back(s);
  want.push_back(steps);
  if (t.checkpoints.size() != want.size())
    return Status::Fail(std::to_string(t.checkpoints.size()) + " checkpoints: want " + std::to_string(want.size()) +
                        " (step 0, every " + std::to_string(every) + " steps, and step " + step_text(steps) + ")");
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& [step, sha] = t.checkpoints[i];
    if (step != want[i])
      return Status::Fail("checkpoint " + std::to_string(i) + " is at step " + step_text(step) + ", want step " +
                          step_text(want[i]));
    if (sha != t.states[static_cast<size_t>(step)])
      return Status::Fail("the checkpoint at step " + step_text(step) + " names " + sha256_ref(sha) + ", but leaf " +
                          step_text(step) + " is " + hex(t.states[static_cast<size_t>(step)]));
  }
  return Status::Ok();
}

std::string segment_name(const TrainTrace& t, int64_t j) {
  const size_t i = static_cast<size_t>(j);
  return "segment " + std::to_string(j) + " (steps " + step_text(t.checkpoints[i].first) + ".." +
         step_text(t.checkpoints[i + 1].first) + ")";
}

Status restore_checkpoint(const CheckContext& c, const TrainTrace& t, int64_t j, Trainer& trainer, bool* absent) {
  const auto& [step, sha] = t.checkpoints[static_cast<size_t>(j)];
  const std::string what = "the checkpoint at step " + step_text(step);
  *absent = false;
  Fetched f = fetch_object(c, sha);
  if (f.state == Fetched::State::absent) {
    *absent = true;
    return Status::Fail(what + " is unavailable: " + f.problem);
  }
  if (f.state == Fetched::State::corrupt) return Status::Fail(what + " is corrupt: " + f.problem);
  try {
    trainer.restore_state(f.bytes);
  } catch (const Error& e) {
    if (e.code() != Exit::data) throw;
    return Status::Fail(what + " is not a state of this task: " + e.what());
  }
  if (trainer.step_index() != step)
    return Status::Fail(what + " holds the state after step " + step_text(trainer.step_index()));
  return Status::Ok();
}

std::unique_ptr<Trainer> make_trainer(const CheckContext& c, bool fast, Dataset* data, std::string* why) {
  const json& spec = (*c.task)["train"];
  const MlpConfig config = train_config(spec);
  try {
    *data = load_dataset(spec["data"], config.loss, config.layers.back(), ".train.data");
    validate_mlp_dataset(config, *data);
  } catch (const Error& e) {
    if (e.code() == Exit::temp_fail) throw;
    *why = std::string("cannot load the task's data: ") + e.what();
    return nullptr;
  }
  GemmEngine engine;
  engine.mode = fast ? NumericMode::fast : NumericMode::exact;
  engine.cuda = c.device.backend == Backend::cuda;
  engine.threads = c.opt->threads;
  return std::make_unique<Trainer>(config, *data, engine);
}

Status check_train_commitment(const json& result, const json* task, const TrainTrace& t,
                              std::vector<Digest>* leaves) {
  if (Status s = check_train_layout(result, task, t); !s.ok()) return s;
  if (Status s = check_distinct(t); !s.ok()) return s;
  std::vector<Digest> hashed = leaf_hashes_of(t.states);
  const Digest root = merkle_root(hashed);
  if (leaves) *leaves = std::move(hashed);
  if (root != t.root)
    return Status::Fail("the root " + sha256_ref(t.root) + " is not the root of the leaves (" + sha256_ref(root) + ")");
  return check_train_losses(result, t);
}

ModeReport check_trace_train(CheckContext& c) {
  TrainTrace t = read_train_trace(c.message(), c.task);
  json checked = {{"leaves", t.states.size()}, {"checkpoints", t.checkpoints.size()}};
  std::vector<Digest> leaves;
  if (Status s = check_train_commitment(c.message(), c.task, t, &leaves); !s.ok())
    return ModeReport::fail(s.reason(), checked);
  // Proofs for every checkpoint's leaf and a drawn sample of the others.
  std::vector<int64_t> proved;
  for (const auto& cp : t.checkpoints) proved.push_back(cp.first);
  const int64_t n = static_cast<int64_t>(leaves.size());
  for (int64_t i : draw_indices(c.draw.seed, "trace", n, sample_count(*c.opt, n, n))) proved.push_back(i);
  std::sort(proved.begin(), proved.end());
  proved.erase(std::unique(proved.begin(), proved.end()), proved.end());
  if (Status s = check_inclusion(leaves, proved, t.root); !s.ok()) return ModeReport::fail(s.reason(), checked);
  checked["inclusion_proofs"] = proved.size();
  // The stored checkpoints at hand must be the states they name.
  int64_t verified = 0, missing = 0;
  for (const auto& [step, sha] : t.checkpoints) {
    if (!c.store || !c.store->has(sha)) {
      ++missing;
      continue;
    }
    if (!c.store->intact(sha))
      return ModeReport::fail("the checkpoint at step " + step_text(step) + ": the stored object " +
                                  c.store->path(sha) + " does not hash to its leaf " + hex(sha),
                              checked);
    ++verified;
  }
  checked["checkpoints_verified"] = verified;
  checked["checkpoints_missing"] = missing;
  return ModeReport::pass(checked);
}

ModeReport check_spot_train(CheckContext& c) {
  json checked = json::object();
  if (!c.task) return task_not_given(c, "spot re-executes it", checked);
  const json& header = c.message()["header"];
  const bool fast = header["mode"] == "fast";
  if (!fast && header["mode"] != "exact")
    return ModeReport::inconclusive("mode " + header["mode"].dump() + " is neither exact nor fast", checked);
  // A kernel that is not a string names no kernel this verifier knows.
  const json* k = header.contains("kernel") ? &header["kernel"] : nullptr;
  const std::string kernel = !k ? "(none)" : k->is_string() ? k->get<std::string>() : std::string("(a ") + k->type_name() + ")";
  const bool known = fast ? kernel.rfind(kFastKernelFamily, 0) == 0 : kernel == kExactKernel;
  if (!known)
    return ModeReport::inconclusive("kernel " + kernel + ": this verifier re-executes " +
                                        (fast ? kFastKernelFamily : kExactKernel) + " in " +
                                        header["mode"].get<std::string>() + " mode",
                                    checked);
  TrainTrace t = read_train_trace(c.message(), c.task);
  if (Status s = check_train_layout(c.message(), c.task, t); !s.ok()) return ModeReport::fail(s.reason(), checked);
  if (Status s = check_train_losses(c.message(), t); !s.ok()) return ModeReport::fail(s.reason(), checked);

  const int64_t segments = static_cast<int64_t>(t.checkpoints.size()) - 1;
  int64_t longest = 0;
  for (int64_t j = 0; j < segments; ++j) longest = std::max(longest, t.checkpoints[j + 1].first - t.checkpoints[j].first);
  const int64_t affordable = static_cast<int64_t>(std::floor(c.opt->budget * static_cast<double>(t.steps) / longest));
  const int64_t q = sample_count(*c.opt, segments, affordable);
  const std::vector<int64_t> drawn = draw_indices(c.draw.seed, "spot", segments, q);
  checked["segments"] = index_list(drawn);
  checked["of"] = segments;

  Dataset data;
  std::string why;
  std::unique_ptr<Trainer> made = make_trainer(c, fast, &data, &why);
  if (!made) return ModeReport::inconclusive(why, checked);
  Trainer& trainer = *made;
  // The names are the data's too: read again, they must be the same.
  const json& part = c.message()["train"];
  const json labels = part.contains("labels") ? part["labels"] : json::array();
  if (labels != json(data.class_names))
    return ModeReport::fail("labels " + labels.dump(-1, ' ', false, json::error_handler_t::replace) +
                                " are not the class names of the task's data, " +
                                json(data.class_names).dump(-1, ' ', false, json::error_handler_t::replace),
                            checked);
  if (fast) return spot_train_fast(c, t, trainer, drawn, checked);
  // The initial state follows from the task alone (seed, layers,
  // optimizer), so leaf 0 is checked whatever is drawn and without the
  // store: a trace made up from the start is rejected even when its
  // checkpoints are withheld.
  if (trainer.state_hash() != t.states[0])
    return ModeReport::fail("leaf 0 is not the task's initial state " + hex(trainer.state_hash()), checked);

  int64_t steps_run = 0;
  std::string unavailable;
  for (int64_t j : drawn) {
    const std::string seg = segment_name(t, j);
    bool absent = false;
    if (Status s = restore_checkpoint(c, t, j, trainer, &absent); !s.ok()) {
      if (!absent) return ModeReport::fail(seg + ": " + s.reason(), checked);
      if (unavailable.empty()) unavailable = seg + ": " + s.reason();
      continue;
    }
    const int64_t end = t.checkpoints[static_cast<size_t>(j) + 1].first;
    for (int64_t s = trainer.step_index() + 1; s <= end; ++s) {
      trainer.step();
      ++steps_run;
      if (trainer.state_hash() != t.states[static_cast<size_t>(s)]) {
        checked["steps"] = steps_run;
        return ModeReport::fail(seg + ": the state after step " + step_text(s) + " differs from leaf " + step_text(s),
                                checked);
      }
    }
    if (std::optional<double> loss = claimed_loss(part, end)) {
      const float got = trainer.last_loss();
      if (!same_loss(*loss, got)) {
        checked["steps"] = steps_run;
        return ModeReport::fail(seg + ": the loss at step " + step_text(end) + " is reported as " + json(*loss).dump() +
                                    ", re-execution gives " + json(got).dump(),
                                checked);
      }
    }
    if (end == t.steps) {
      // The final state re-executed: its model and loss are recomputable.
      if (Status s = check_final_model(part, trainer); !s.ok()) return ModeReport::fail(s.reason(), checked);
      const float got = trainer.evaluate_loss();
      if (!same_loss(claimed_final_loss(part), got))
        return ModeReport::fail("final.loss is reported as " + part["final"]["loss"].dump() + ", the final state's loss is " +
                                    json(got).dump(),
                                checked);
      checked["final_model"] = "checked";
    }
  }
  if (!checked.contains("final_model")) checked["final_model"] = "unchecked: the last segment was not re-executed";
  checked["steps"] = steps_run;
  checked["share"] = static_cast<double>(steps_run) / static_cast<double>(t.steps);
  if (!unavailable.empty()) return ModeReport::inconclusive(unavailable, checked);
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, sample_detection(*c.opt, segments, q));
}

}  // namespace grid
