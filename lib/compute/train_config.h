// The MlpConfig a train spec asks for: what job-run trains and proof-check
// re-executes, read by one function so the two cannot drift apart.
#pragma once

#include "core/canonical_json.h"
#include "compute/mlp.h"

namespace grid {

// `spec` is a task's "train" part that passed train_validate (job_kinds.h);
// optimizer hyperparameters it leaves out keep MlpConfig's defaults.
MlpConfig train_config(const json& spec);

}  // namespace grid
