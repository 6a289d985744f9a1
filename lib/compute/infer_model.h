// The model of an infer task: a trained model (the GRIDMDL1 bytes a train
// result names as final.model_sha256) or a training checkpoint (GRIDMLP1,
// one of a train result's trace.checkpoints), read and checked against
// what the task's "model" object says of it.
#pragma once

#include <string>

#include "core/canonical_json.h"
#include "compute/mlp.h"

namespace grid {

// `spec` is the task's model object and `path` its field (".infer.model").
// Exit::data naming the field: bytes that are neither a model nor a
// checkpoint (path.sha256); a checkpoint without "loss" in the spec (it
// does not record which loss trained it), or a "loss" that differs from
// the model's (path.loss); "layers" that differ from the model's
// (path.layers).
MlpModel infer_model(const std::string& bytes, const json& spec, const std::string& path);

}  // namespace grid
