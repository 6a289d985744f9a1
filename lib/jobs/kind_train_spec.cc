// The train kind's spec and split: an MLP, its loss, optimizer and data;
// a sweep becomes one task per configuration.
#include <algorithm>

#include "jobs/data_spec.h"
#include "core/error.h"
#include "core/fields.h"
#include "jobs/job_kinds.h"
#include "core/jsonl.h"
#include "jobs/train_sweep.h"

namespace grid {
namespace {

constexpr int64_t kMaxWidth = 1 << 16;
constexpr int64_t kMaxSteps = int64_t{1} << 40;

// A train result carries every step's leaf inline, and a checkpoint and a
// loss per checkpoint, on one line that a reader takes only up to
// kMaxLineBytes (doc/design.md, "Messages"). Bytes of a result line, at most:
// a leaf is "<64 hex>", (67); a checkpoint {"sha256":"sha256:<64 hex>",
// "step":<13 digits>}, (106) with its loss {"loss":<float>,"step":<13
// digits>}, (46) fit in 160; kResultRest is room for all the rest.
constexpr int64_t kLeafBytes = 67;
constexpr int64_t kCheckpointBytes = 160;
constexpr int64_t kResultRest = int64_t{1} << 20;

int64_t result_bytes(int64_t steps, int64_t every) {
  return kLeafBytes * (steps + 1) + kCheckpointBytes * (steps / every + 2) + kResultRest;
}

// The most steps whose result fits a line at this checkpoint_every (0 when
// none does); result_bytes grows with steps, so a bisection finds it.
int64_t max_steps(int64_t every) {
  int64_t lo = 0, hi = kMaxSteps;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (result_bytes(mid, std::min(every, mid)) <= static_cast<int64_t>(kMaxLineBytes)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Checks one configuration (no sweep left in it).
void validate_config(const json& spec, const std::string& path, RunsOn where) {
  check_known_fields(spec, path, {"model", "loss", "optimizer", "batch", "micro_batches", "ranks", "steps", "seed",
                                  "checkpoint_every", "data", "sweep_point"});
  const json& model = get_object(spec, "model", path);
  check_known_fields(model, path + ".model", {"layers", "activation"});
  const json& layers = get_array(model, "layers", path + ".model");
  if (layers.size() < 2) throw data_error("need at least an input and an output width", path + ".model.layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string f = path + ".model.layers[" + std::to_string(i) + "]";
    if (!layers[i].is_number_integer() || layers[i].get<int64_t>() < 1 || layers[i].get<int64_t>() > kMaxWidth)
      throw data_error("expected an integer width 1.." + std::to_string(kMaxWidth), f);
  }
  if (model.contains("activation")) get_choice(model, "activation", path + ".model", {"relu"});
  std::string loss = get_choice(spec, "loss", path, {"softmax_xent", "mse"});
  const json& opt = get_object(spec, "optimizer", path);
  const std::string op = path + ".optimizer";
  check_known_fields(opt, op, {"name", "lr", "momentum", "beta1", "beta2", "eps", "weight_decay"});
  std::string name = get_choice(opt, "name", op, {"sgd", "momentum", "adam"});
  get_number(opt, "lr", op, 1e-12, 100);
  get_number_opt(opt, "momentum", op, 0, 0.999999);
  get_number_opt(opt, "beta1", op, 0, 0.999999);
  get_number_opt(opt, "beta2", op, 0, 0.999999999);
  get_number_opt(opt, "eps", op, 1e-30, 1);
  get_number_opt(opt, "weight_decay", op, 0, 1);
  const int64_t batch = get_int(spec, "batch", path, 1, 1 << 20);
  // Micro-batches fix the order of the gradient sums, so that any rank
  // count dividing them trains the same bits (doc/design.md, "Training
  // across ranks").
  const int64_t micro = spec.contains("micro_batches") ? get_int(spec, "micro_batches", path, 1, batch) : 1;
  if (batch % micro != 0)
    throw data_error("micro_batches " + std::to_string(micro) + " does not divide batch " + std::to_string(batch),
                     path + ".micro_batches");
  if (spec.contains("ranks")) {
    const int64_t ranks = get_int(spec, "ranks", path, 1, micro);
    if (micro % ranks != 0)
      throw data_error("ranks " + std::to_string(ranks) + " does not divide micro_batches " + std::to_string(micro),
                       path + ".ranks");
  }
  int64_t steps = get_int(spec, "steps", path, 1, kMaxSteps);
  get_int(spec, "seed", path, 0, int64_t{1} << 53);
  const int64_t every = get_int(spec, "checkpoint_every", path, 1, steps);
  if (result_bytes(steps, every) > static_cast<int64_t>(kMaxLineBytes))
    throw data_error("the result of " + std::to_string(steps) + " steps with checkpoint_every " + std::to_string(every) +
                         " would pass the " + std::to_string(kMaxLineBytes >> 20) + " MiB line cap (doc/design.md, Messages): at most " +
                         std::to_string(max_steps(every)) + " steps",
                     path + ".steps");
  validate_data(get_object(spec, "data", path), path + ".data", where);
  const json& data = spec["data"];
  if (!data.contains("synthetic") && !data.contains("y"))
    throw data_error(std::string("training needs ") + (loss == "softmax_xent" ? "a class label" : "targets") +
                         " per row of x: name their file in \"y\"",
                     path + ".data.y");
  int64_t features = data_features_declared(data), outputs = data_outputs_declared(data);
  if (features > 0 && layers.front() != features)
    throw data_error("the input width " + layers.front().dump() + " differs from the data's " +
                         std::to_string(features) + " features", path + ".model.layers[0]");
  if (outputs > 0 && layers.back() != outputs)
    throw data_error("the output width " + layers.back().dump() + " differs from the data's " + std::to_string(outputs) +
                         (loss == "softmax_xent" ? " classes" : " outputs"),
                     path + ".model.layers[" + std::to_string(layers.size() - 1) + "]");
}

// A sweep point's spec, with the point named in the error: a sweep over a
// misspelt path ("optimizer.lrr") or a range that draws a non-integer batch
// fails here.
void validate_point(const SweepPoint& p, const std::string& path, RunsOn where) {
  try {
    validate_config(p.spec, path, where);
  } catch (const Error& e) {
    if (p.settings.empty()) throw;
    Error in_point(e.code(), std::string(e.what()) + " (in the sweep point " + p.settings.dump() + ")");
    if (!e.field().empty()) in_point.at_field(e.field());
    throw in_point;
  }
}

}  // namespace

double mlp_macs_per_row(const json& layers) {
  double macs = 0;
  for (size_t i = 0; i + 1 < layers.size(); ++i) macs += layers[i].get<double>() * layers[i + 1].get<double>();
  return macs;
}

void train_validate(const json& spec, const std::string& path, RunsOn where) {
  if (spec.contains("sweep")) {
    validate_sweep(spec["sweep"], path + ".sweep");
    // Each configuration must be a valid spec on its own.
    for (const SweepPoint& p : expand_sweep(spec, 0)) validate_point(p, path, where);
    return;
  }
  validate_config(spec, path, where);
}

std::vector<TaskBody> train_split(const json& spec, uint64_t job_seed, const SplitOptions& opt) {
  std::vector<SweepPoint> points = expand_sweep(spec, job_seed);
  std::vector<TaskBody> out;
  for (const SweepPoint& p : points) {
    // Random draws depend on the job's seed: check the ones really drawn.
    validate_point(p, ".train", RunsOn::here);
    json body = p.spec;
    if (!p.settings.empty()) body["sweep_point"] = p.settings;
    double flops = 6.0 * body["batch"].get<double>() * mlp_macs_per_row(body["model"]["layers"]) *
                   body["steps"].get<double>();
    out.push_back({body, flops, "", ""});
  }
  if (!opt.weights.empty()) {
    std::vector<double> rates;
    for (const auto& w : opt.weights) rates.push_back(w.rate);
    auto counts = proportional_parts(static_cast<int64_t>(out.size()), rates);
    size_t at = 0;
    for (size_t w = 0; w < counts.size(); ++w)
      for (int64_t c = 0; c < counts[w]; ++c, ++at) {
        out[at].provider = opt.weights[w].provider;
        out[at].profile = opt.weights[w].profile;
      }
  }
  return out;
}

}  // namespace grid
