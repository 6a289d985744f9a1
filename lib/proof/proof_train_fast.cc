// spot for fast-mode training, as in Proof-of-Learning (Jia et al., 2021):
// fast mode is not bit-reproducible, so a re-run segment is held against
// the claimed checkpoint at its end by distance. The distance between the
// re-run parameters and the claimed ones must stay below kFastTolerance
// times the size of the claimed update over the segment (both L2 over all
// parameters): rounding noise is far below the update, while a segment
// trained with other data, other hyperparameters or not at all is off by
// about the update itself. The losses the result reports are held to the
// re-executed ones likewise (fast_loss_agrees: kFastTolerance relative,
// plus kFastLossFloor absolute).
#include <algorithm>
#include <cmath>

#include "proof/proof_train.h"
#include "core/text_pad.h"

namespace grid {
namespace {

// On the example jobs, a segment re-run under other rounding (OpenBLAS
// against the exact kernels) lands about 3e-7 of the update away, one
// trained with a learning rate 20% off about 0.15, an unrelated one near 1;
// 0.05 leaves room for GPU rounding and longer segments.
constexpr double kFastTolerance = 0.05;
// Near zero a loss is a few rounding quanta (a softmax cross-entropy term is
// 0 or a multiple of about 1.2e-7): another machine's rounding moves it by
// whole quanta, so small losses are held to this much, absolute.
constexpr double kFastLossFloor = 1e-6;

double l2_distance(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double sum = 0;
  for (size_t t = 0; t < a.size(); ++t)
    for (size_t i = 0; i < a[t].size(); ++i) {
      const double d = static_cast<double>(a[t][i]) - static_cast<double>(b[t][i]);
      sum += d * d;
    }
  return std::sqrt(sum);
}

}  // namespace

bool fast_loss_agrees(float claimed, float got) {
  if (std::isnan(claimed) || !std::isfinite(got)) return std::isnan(claimed) && !std::isfinite(got);
  const double c = claimed, g = got;
  return std::fabs(c - g) <= kFastTolerance * std::max(std::fabs(c), std::fabs(g)) + kFastLossFloor;
}

ModeReport spot_train_fast(CheckContext& c, const TrainTrace& t, Trainer& trainer, const std::vector<int64_t>& drawn,
                           json checked) {
  checked["tolerance"] = kFastTolerance;
  int64_t steps_run = 0;
  double worst = 0;
  std::string unavailable;
  for (int64_t j : drawn) {
    const std::string seg = segment_name(t, j);
    bool absent = false;
    Status s = restore_checkpoint(c, t, j + 1, trainer, &absent);
    std::vector<std::vector<float>> claimed;
    if (s.ok()) {
      claimed = trainer.parameters();
      // The final checkpoint fetched: the claimed final state's model is
      // recomputable (serialize_model holds no numerics of the run).
      if (j + 2 == static_cast<int64_t>(t.checkpoints.size())) {
        const json& part = c.message()["train"];
        if (Status m = check_final_model(part, trainer); !m.ok()) return ModeReport::fail(m.reason(), checked);
        // The claimed final state's loss, computed here: rounding apart, what the provider computed.
        const float got = trainer.evaluate_loss();
        if (!fast_loss_agrees(static_cast<float>(claimed_final_loss(part)), got))
          return ModeReport::fail("final.loss is reported as " + part["final"]["loss"].dump() +
                                      ", the final state's loss is " + json(got).dump() + ", more than " +
                                      short_number(kFastTolerance, 4) + " of it apart",
                                  checked);
        checked["final_model"] = "checked";
      }
      s = restore_checkpoint(c, t, j, trainer, &absent);
    }
    if (!s.ok()) {
      if (!absent) return ModeReport::fail(seg + ": " + s.reason(), checked);
      if (unavailable.empty()) unavailable = seg + ": " + s.reason();
      continue;
    }
    const std::vector<std::vector<float>> start = trainer.parameters();
    const int64_t end = t.checkpoints[static_cast<size_t>(j) + 1].first;
    while (trainer.step_index() < end) {
      trainer.step();
      ++steps_run;
    }
    const double distance = l2_distance(trainer.parameters(), claimed);
    const double update = l2_distance(claimed, start);
    const double ratio = update > 0 ? distance / update : (distance > 0 ? INFINITY : 0.0);
    worst = std::max(worst, ratio);
    checked["max_distance_over_update"] = std::isfinite(worst) ? json(worst) : json(nullptr);
    // A NaN distance (a NaN in the claimed state) fails too.
    if (!(distance <= kFastTolerance * update || distance == 0)) {
      checked["steps"] = steps_run;
      return ModeReport::fail(seg + ": re-execution ends " + short_number(distance, 4) + " from the checkpoint at step " +
                                  std::to_string(end) + ", more than " + short_number(kFastTolerance, 4) +
                                  " x the segment's update of " + short_number(update, 4),
                              checked);
    }
    if (std::optional<double> loss = claimed_loss(c.message()["train"], end)) {
      const float got = trainer.last_loss();
      if (!fast_loss_agrees(static_cast<float>(*loss), got)) {
        checked["steps"] = steps_run;
        return ModeReport::fail(seg + ": the loss at step " + std::to_string(end) + " is reported as " +
                                    json(*loss).dump() + ", re-execution gives " + json(got).dump() +
                                    ", more than " + short_number(kFastTolerance, 4) + " of it apart",
                                checked);
      }
    }
  }
  if (!checked.contains("final_model")) checked["final_model"] = "unchecked: the last segment was not re-executed";
  checked["steps"] = steps_run;
  checked["share"] = static_cast<double>(steps_run) / static_cast<double>(t.steps);
  if (!unavailable.empty()) return ModeReport::inconclusive(unavailable, checked);
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, sample_detection(*c.opt, static_cast<int64_t>(t.checkpoints.size()) - 1,
                                                    static_cast<int64_t>(drawn.size())));
}

}  // namespace grid
