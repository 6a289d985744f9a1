// What trace and spot share about a train result's proof: its leaves and
// checkpoints, their layout, and restoring a checkpoint into a Trainer.
// Segment j runs from checkpoint j to checkpoint j + 1.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compute/mlp.h"
#include "proof/proof_modes.h"

namespace grid {

struct TrainTrace {
  std::vector<Digest> states;  // the leaves: state hash after step i
  std::vector<std::pair<int64_t, Digest>> checkpoints;  // step, state hash
  int64_t steps = 0;  // the task's, else the result's final step
  Digest root{};
};

// From a train result whose shape was checked; `task` (may be nullptr)
// gives the number of steps.
TrainTrace read_train_trace(const json& result, const json* task);

// One leaf per step and one for the initial state, the final state the last
// leaf, and checkpoints at step 0, every checkpoint_every steps and the
// last step, each naming its step's leaf (and checkpoint_every the task's).
Status check_train_layout(const json& result, const json* task, const TrainTrace& t);

// What trace checks of a result's own commitment: the layout above, no
// repeated leaf, the root the RFC 6962 root of the leaves, and one loss
// per checkpoint step after step 0. pinpoint
// checks it too, so that a result cannot borrow another's root.
// `leaves`, when given, gets the RFC 6962 leaf hashes the root was checked
// over, for inclusion proofs without hashing the states again.
Status check_train_commitment(const json& result, const json* task, const TrainTrace& t,
                              std::vector<Digest>* leaves = nullptr);

// A Trainer for the task's config and data, in `mode` (exact or fast),
// loading the data into *data (which must outlive it). nullptr with *why
// set when the data cannot be loaded.
std::unique_ptr<Trainer> make_trainer(const CheckContext& c, bool fast, Dataset* data, std::string* why);

// "segment 3 (steps 30..40)".
std::string segment_name(const TrainTrace& t, int64_t j);

// Fetches checkpoint j and restores it into `trainer`. ok, or: `absent`
// set (with the reason in the Status) when neither the store nor the URL
// has it; otherwise a failed Status says how the checkpoint is wrong
// (corrupt, not a state of this task, the state of another step).
Status restore_checkpoint(const CheckContext& c, const TrainTrace& t, int64_t j, Trainer& trainer, bool* absent);

// The loss at checkpoint `step` as the result's `losses` report it (the
// JSON number, not rounded to a float: exact mode compares it with the
// float's exact value), NaN for null (a diverged run's); nullopt when it
// reports none for the step.
std::optional<double> claimed_loss(const json& part, int64_t step);
// final.loss as reported, likewise.
double claimed_final_loss(const json& part);

// final.model_sha256 against serialize_model() of the final state, which
// `trainer` holds.
Status check_final_model(const json& part, const Trainer& trainer);

// Whether a loss a fast-mode result reports agrees with the one
// re-execution gives: within 0.05 of the larger, relative, plus 1e-6
// absolute; a null claim (NaN) agrees with a non-finite loss only.
bool fast_loss_agrees(float claimed, float got);

// spot for a fast-mode result (proof_train_fast.cc): re-runs the drawn
// segments in fast mode and holds the distance to the claimed checkpoint
// against the size of the segment's update.
ModeReport spot_train_fast(CheckContext& c, const TrainTrace& t, Trainer& trainer, const std::vector<int64_t>& drawn,
                           json checked);

}  // namespace grid
