// The train kind's run: exact (or fast) MLP training with a per-step proof
// trace. After step s (s = 0 is the initial state) the state's SHA-256 is
// leaf s of an RFC 6962 tree; every checkpoint_every steps the state itself
// goes to the store, so a verifier can re-run any segment and a dispute can
// narrow to one step.
#include <chrono>
#include <cmath>

#include "dataset_load.h"
#include "device_cuda.h"
#include "error.h"
#include "job_kinds.h"
#include "job_run.h"
#include "merkle.h"
#include "message.h"
#include "mlp.h"
#include "store.h"
#include "train_config.h"

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

}  // namespace

json train_run(const json& task, RunContext& ctx) {
  const json& spec = task["train"];
  train_validate(spec, ".train");
  const MlpConfig config = train_config(spec);
  const int64_t every = spec["checkpoint_every"];
  Dataset data = load_dataset(spec["data"], config.loss, config.layers.back(), ".train.data");
  GemmEngine engine;
  engine.mode = ctx.mode == "fast" ? NumericMode::fast : NumericMode::exact;
  engine.cuda = ctx.device.backend == Backend::cuda;
  engine.threads = ctx.threads;
  Trainer trainer(config, data, engine);
  const std::string task_id = (*ctx.task)["id"];
  const std::string pref = progress_ref(task_id, ctx.mode);

  std::vector<Digest> states;  // state hash after each step, [0] = initial
  json checkpoints = json::array(), losses = json::array();
  auto checkpoint = [&] {
    Digest key = ctx.store->put(trainer.serialize_state());
    json entry = {{"step", trainer.step_index()}, {"sha256", sha256_ref(key)}};
    checkpoints.push_back(entry);
    // The progress record names everything needed to continue from here.
    json progress = {{"step", trainer.step_index()}, {"state", sha256_ref(key)}, {"states", hex_list(states)},
                     {"checkpoints", checkpoints}, {"losses", losses}};
    ctx.store->put_ref(pref, ctx.store->put(progress.dump()));
  };

  bool resumed = false;
  if (ctx.resume) {
    if (auto ref = ctx.store->get_ref(pref); ref && ctx.store->has(*ref)) {
      json progress = parse_json_text(ctx.store->get(*ref));
      Digest state;
      if (!parse_sha256_ref(progress.value("state", ""), &state)) throw Error(Exit::data, "malformed progress record " + pref);
      trainer.restore_state(ctx.store->get(state));
      states = digests_of(progress["states"]);
      checkpoints = progress["checkpoints"];
      losses = progress["losses"];
      if (states.size() != static_cast<size_t>(trainer.step_index()) + 1 || states.back() != trainer.state_hash())
        throw Error(Exit::data, "progress record " + pref + " does not match its checkpoint");
      ctx.progress("resuming task " + task_id + " at step " + std::to_string(trainer.step_index()));
      resumed = true;
    }
  }
  if (!resumed) {
    states.push_back(trainer.state_hash());
    checkpoint();
  }

  auto t0 = std::chrono::steady_clock::now();
  const int64_t first = trainer.step_index();
  while (!trainer.done()) {
    trainer.step();
    states.push_back(trainer.state_hash());
    const int64_t s = trainer.step_index();
    if (s % every == 0 || trainer.done()) {
      losses.push_back({{"step", s}, {"loss", finite_or_null(trainer.last_loss())}});
      checkpoint();
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double rate = el > 0 ? (s - first) / el : 0;
      ctx.progress("step " + std::to_string(s) + "/" + std::to_string(config.steps) + "  loss " +
                   std::to_string(trainer.last_loss()) + "  " + std::to_string(rate) + " steps/s  ETA " +
                   std::to_string(rate > 0 ? (config.steps - s) / rate : 0) + " s");
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<Digest> leaves;
  for (const Digest& s : states) leaves.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(s.data()), s.size())));
  Digest model = ctx.store->put(trainer.serialize_model());
  const float final_loss = trainer.evaluate_loss();
  json out = {{"inputs", {{"data", dataset_inputs(spec["data"])}, {"spec", sha256_ref(sha256(canonical_json(spec)))}}},
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
  if (spec.contains("sweep_point")) out["sweep_point"] = spec["sweep_point"];
  return out;
}

}  // namespace grid
