// Parameter updates of sgd, momentum and adam, in exact arithmetic, per the
// DEFINITION in mlp.h. Used by mlp.cc; fast mode runs the same code (the
// updates are elementwise, so there is nothing faster to swap in).
#pragma once

#include <cstdint>

#include "compute/mlp.h"
#include "compute/mlp_layers.h"
#include "compute/mlp_math.h"

namespace grid::mlp {

// Optimizer state tensors for params: none (sgd), one velocity per tensor
// (momentum), m and v per tensor at 2k and 2k+1 (adam); all +0.
Tensors optimizer_slots(MlpOptimizer optimizer, const Tensors& params);

// b^t for t >= 0 as exp(float(t) * log(b)) in exact arithmetic (1 for
// t = 0; 0 for b = 0). Relative error about |t log b| * 2^-24: ~1e-7 where
// 1 - b^t matters, far better than repeated squaring (each squaring doubles
// the error, t * 2^-24 in all). A function of t alone, so a resumed run
// needs no saved power.
float exact_powi(float b, int64_t t);

// adam's constants for update number adam_t (1 on the first), per the
// DEFINITION; the CUDA trainer's kernels take them from here too.
mlp_math::AdamStep adam_step(const MlpConfig& config, int64_t adam_t);

// One update of every parameter. grads are consumed (weight decay is added
// into them); adam_t is the update count including this one (1 on the
// first).
void optimizer_update(const MlpConfig& config, MlpOptimizer optimizer, int64_t adam_t,
                      Tensors* params, Tensors* grads, Tensors* slots);

}  // namespace grid::mlp
