// The train kind's run: exact (or fast) MLP training with a per-step proof
// trace. After step s (s = 0 is the initial state) the state's SHA-256 is
// leaf s of an RFC 6962 tree; every checkpoint_every steps the state itself
// goes to the store, so a verifier can re-run any segment and a dispute can
// narrow to one step.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>

#include "jobs/dataset_load.h"
#include "compute/device_cuda.h"
#include "core/error.h"
#include "jobs/job_kinds.h"
#include "jobs/job_run.h"
#include "core/merkle.h"
#include "core/rank_world.h"
#include "core/message.h"
#include "compute/mlp.h"
#include "core/store.h"
#include "core/timestamp.h"
#include "compute/train_config.h"

namespace grid {
namespace {

std::string progress_ref(const std::string& task_id, const std::string& mode) {
  return "progress " + task_id + " " + mode;
}

// A diverged run's NaN loss is reported as null: JSON has no NaN.
json finite_or_null(float x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json hex_list(const std::vector<Digest>& v) {
  json out = json::array();
  for (const Digest& d : v) out.push_back(hex(d));
  return out;
}

std::vector<Digest> digests_of(const json& list) {
  std::vector<Digest> out;
  for (const json& h : list) {
    Digest d;
    if (!h.is_string() || !unhex(h.get<std::string>(), d.data(), d.size())) throw Error(Exit::data, "malformed progress record");
    out.push_back(d);
  }
  return out;
}

// The items of `list` from index `from` on.
json tail_of(const json& list, size_t from) {
  json out = json::array();
  for (size_t i = from; i < list.size(); ++i) out.push_back(list[i]);
  return out;
}

// Progress as a run leaves it: what --resume needs to continue.
struct Progress {
  std::vector<Digest> states;
  json checkpoints = json::array(), losses = json::array();
  Digest state{}, record{};  // the last checkpoint's state and record
};

// Reads the chain of progress records that ends at `head`. Each record
// holds its segment only (the states, checkpoint and loss added since the
// one it names as "prev"), so the records of a run grow linearly in its
// steps; the first has no "prev". A record from before the chain (all lists
// whole, no "prev") reads as a chain of one.
Progress read_progress(const Store& store, const Digest& head, const std::string& pref) {
  std::vector<json> chain;  // newest first
  Digest at = head;
  int64_t later = -1;  // the step of the record read before, newer
  auto bad = [&] { return Error(Exit::data, "malformed progress record " + sha256_ref(at) + " of " + pref); };
  for (;;) {
    if (!store.has(at)) throw Error(Exit::data, "progress record " + sha256_ref(at) + " of " + pref + " is not in the store");
    json r = parse_json_text(store.get(at));
    // Steps fall strictly along the chain, so a walk always ends.
    if (!r.is_object() || !r.contains("step") || !r["step"].is_number_integer() || r["step"].get<int64_t>() < 0 ||
        (later >= 0 && r["step"].get<int64_t>() >= later) || !r.contains("state") || !r["state"].is_string())
      throw bad();
    for (const char* list : {"states", "checkpoints", "losses"})
      if (!r.contains(list) || !r[list].is_array()) throw bad();
    later = r["step"];
    chain.push_back(std::move(r));
    if (!chain.back().contains("prev")) break;
    const json& prev = chain.back()["prev"];
    Digest next;
    if (!prev.is_string() || !parse_sha256_ref(prev.get<std::string>(), &next)) throw bad();
    at = next;
  }
  Progress p;
  p.record = head;
  for (auto r = chain.rbegin(); r != chain.rend(); ++r) {
    for (const Digest& d : digests_of((*r)["states"])) p.states.push_back(d);
    if (p.states.size() != (*r)["step"].get<size_t>() + 1)
      throw Error(Exit::data, "progress record of " + pref + " at step " + (*r)["step"].dump() + " does not continue the one before");
    for (const json& c : (*r)["checkpoints"]) p.checkpoints.push_back(c);
    for (const json& l : (*r)["losses"]) p.losses.push_back(l);
  }
  at = head;
  if (!parse_sha256_ref(chain.front()["state"].get<std::string>(), &p.state)) throw bad();
  return p;
}

// "step 1200/5000  loss 0.4132  850 steps/s  ETA 4 s".
std::string progress_line(int64_t step, int64_t steps, float loss, double rate) {
  char l[32], r[32];
  std::snprintf(l, sizeof l, "%.4g", static_cast<double>(loss));
  std::snprintf(r, sizeof r, rate >= 100 ? "%.0f" : "%.3g", rate);
  return "step " + std::to_string(step) + "/" + std::to_string(steps) + "  loss " + l + "  " + r + " steps/s  ETA " +
         (rate > 0 ? duration_text((steps - step) / rate) : std::string("-"));
}

}  // namespace

json train_run(const json& task, RunContext& ctx) {
  const json& spec = task["train"];  // validate_task() checked it
  const MlpConfig config = train_config(spec);
  const int64_t every = spec["checkpoint_every"];
  json data_inputs;  // the bytes actually trained on, for the header
  Dataset data;
  std::exception_ptr failed;
  try {
    data = load_dataset(spec["data"], config.loss, config.layers.back(), ".train.data", ctx.store, &data_inputs);
  } catch (...) {
    failed = std::current_exception();
  }
  // Each rank reads its own copy of the data: one that fails ends the run
  // (job_run.cc's end_all_ranks) while the others wait, before rank 0 has
  // begun a checkpoint that the abort would cut short.
  if (ctx.ranks && ctx.ranks->any_failed(failed != nullptr) && !failed) ctx.ranks->wait_for_abort();
  if (failed) std::rethrow_exception(failed);
  const GemmEngine engine = ctx.gemm_engine();
  Trainer trainer(config, data, engine);
  trainer.set_ranks(ctx.ranks);
  // Every rank trains; rank 0 alone hashes, checkpoints and answers.
  const bool leader = !ctx.ranks || ctx.ranks->rank() == 0;
  const std::string task_id = (*ctx.task)["id"];
  const std::string pref = progress_ref(task_id, ctx.mode);

  Progress run;  // the states so far and what the checkpoints recorded
  std::vector<Digest>& states = run.states;  // state hash after each step, [0] = initial
  json &checkpoints = run.checkpoints, &losses = run.losses;
  bool have_record = false;
  size_t saved_states = 0, saved_checkpoints = 0, saved_losses = 0;  // what the records hold
  auto all_saved = [&] {
    have_record = true;
    saved_states = states.size();
    saved_checkpoints = checkpoints.size();
    saved_losses = losses.size();
  };
  auto checkpoint = [&] {
    Digest key = ctx.store->put(trainer.serialize_state());
    json entry = {{"step", trainer.step_index()}, {"sha256", sha256_ref(key)}};
    checkpoints.push_back(entry);
    // The record holds this segment and names the one before it: a store
    // grows by a segment a checkpoint, not by the whole trace so far.
    json progress = {{"step", trainer.step_index()}, {"state", sha256_ref(key)},
                     {"states", hex_list(std::vector<Digest>(states.begin() + saved_states, states.end()))},
                     {"checkpoints", tail_of(checkpoints, saved_checkpoints)}, {"losses", tail_of(losses, saved_losses)}};
    if (have_record) progress["prev"] = sha256_ref(run.record);
    run.record = ctx.store->put(progress.dump());
    ctx.store->put_ref(pref, run.record);
    all_saved();
  };

  bool resumed = false;
  if (!leader) {
    std::string state;
    ctx.ranks->broadcast(&state);  // rank 0's checkpoint to resume from, or none
    if (!state.empty()) trainer.restore_state(state);
    while (!trainer.done()) trainer.step();
    return json();
  }
  if (ctx.resume) {
    // The store writes an object before the reference that names it: a
    // reference to a record, or a record to a state, that is not there is
    // a damaged store, not a run to start again in silence.
    if (auto ref = ctx.store->get_ref(pref)) {
      run = read_progress(*ctx.store, *ref, pref);
      if (!ctx.store->has(run.state))
        throw Error(Exit::data, "progress record " + pref + " names checkpoint state " + sha256_ref(run.state) +
                                    ", which is not in the store");
      trainer.restore_state(ctx.store->get(run.state));
      if (states.size() != static_cast<size_t>(trainer.step_index()) + 1 || states.back() != trainer.state_hash())
        throw Error(Exit::data, "progress record " + pref + " does not match its checkpoint");
      all_saved();
      ctx.progress("resuming task " + task_id + " at step " + std::to_string(trainer.step_index()));
      resumed = true;
    }
  }
  if (!resumed) {
    states.push_back(trainer.state_hash());
    checkpoint();
  }
  if (ctx.ranks) {
    std::string state = resumed ? trainer.serialize_state() : std::string();
    ctx.ranks->broadcast(&state);
  }

  // Progress about once a second, checked every step (a clock read is
  // nothing next to a step), and once at the end.
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto next_note = t0 + std::chrono::seconds(1);
  const int64_t first = trainer.step_index();
  float loss = std::numeric_limits<float>::quiet_NaN();  // the last computed
  auto note = [&](Clock::time_point now) {
    const double el = std::chrono::duration<double>(now - t0).count();
    const int64_t s = trainer.step_index();
    ctx.progress(progress_line(s, config.steps, loss, el > 0 ? (s - first) / el : 0));
    ctx.pace(s - first, config.steps - first, "steps", el);
  };
  while (!trainer.done()) {
    trainer.step();
    loss = trainer.last_loss();
    states.push_back(trainer.state_hash());
    const int64_t s = trainer.step_index();
    if (s % every == 0 || trainer.done()) {
      losses.push_back({{"step", s}, {"loss", finite_or_null(loss)}});
      checkpoint();
    }
    if (const auto now = Clock::now(); now >= next_note && !trainer.done()) {
      note(now);
      next_note = now + std::chrono::seconds(1);
    }
  }
  note(Clock::now());
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  std::vector<Digest> leaves;
  for (const Digest& s : states) leaves.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(s.data()), s.size())));
  Digest model = ctx.store->put(trainer.serialize_model());
  const float final_loss = trainer.evaluate_loss();
  json out = {{"inputs", {{"data", data_inputs}, {"spec", sha256_ref(sha256(canonical_json(spec)))}}},
              {"trace",
               {{"tree", "rfc6962"},
                {"leaf", "SHA-256 of serialize_state() after step i, i = 0 (initial) .. steps"},
                {"leaves", hex_list(states)},
                {"root", sha256_ref(merkle_root(leaves))},
                {"checkpoint_every", every},
                {"checkpoints", checkpoints},
                {"store", "sha256/<2 hex>/<62 hex> under the provider's store"}}},
              {"losses", losses},
              {"final",
               {{"step", trainer.step_index()},
                {"state_sha256", sha256_ref(states.back())},
                {"model_sha256", sha256_ref(model)},
                {"loss", finite_or_null(final_loss)}}},
              {"metrics", {{"steps_per_s", seconds > 0 ? (trainer.step_index() - first) / seconds : 0.0}, {"resumed", resumed}}}};
  if (ctx.ranks) out["metrics"]["ranks"] = ctx.ranks->size();
  if (spec.contains("sweep_point")) out["sweep_point"] = spec["sweep_point"];
  // Which output is which class: the model's outputs are only numbered.
  if (!data.class_names.empty()) out["labels"] = data.class_names;
  return out;
}

}  // namespace grid
