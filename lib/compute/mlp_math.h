// The arithmetic of one MLP training step apart from its GEMMs, element by
// element and row by row, in the order of the DEFINITION in mlp.h: written
// once, run by the CPU loops (mlp_layers.cc, mlp_optimizer.cc) and by the
// CUDA kernels that keep training on the device (lib/cuda/mlp_train.cu),
// so both give the same bits. Every operation is an exact_math.h one (the
// device's __f*_rn: nvcc never contracts them), so the bits do not depend
// on the compiler either.
#pragma once

#include <cmath>
#include <cstdint>

#include "compute/exact_math.h"
#include "compute/gemm.h"

namespace grid::mlp_math {

// exp and log of the loss: exact_math.h's in exact mode; the platform's
// (libm, or CUDA's expf/logf) in fast mode.
GRID_HD inline float mode_exp(NumericMode mode, float x) {
#ifdef __CUDA_ARCH__
  return mode == NumericMode::exact ? exact_exp(x) : expf(x);
#else
  return mode == NumericMode::exact ? exact_exp(x) : std::exp(x);
#endif
}

GRID_HD inline float mode_log(NumericMode mode, float x) {
#ifdef __CUDA_ARCH__
  return mode == NumericMode::exact ? exact_log(x) : logf(x);
#else
  return mode == NumericMode::exact ? exact_log(x) : std::log(x);
#endif
}

// Forward: Z + b, then relu on hidden layers.
GRID_HD inline float bias_activation(float z, float b, bool hidden) {
  const float y = exact_add(z, b);
  return hidden ? exact_relu(y) : y;
}

// The row max by strict comparison from z[0]: NaN entries after the first are
// skipped the same way everywhere, and the result is always one of the z.
GRID_HD inline float row_max(const float* z, int n) {
  float m = z[0];
  for (int j = 1; j < n; ++j)
    if (z[j] > m) m = z[j];
  return m;
}

// e[j] = exp(z[j] - max) and returns their sum in order; *max_out = max.
GRID_HD inline float shifted_exps(NumericMode mode, const float* z, int n, float* e, float* max_out) {
  const float m = row_max(z, n);
  float s = 0.0f;
  for (int j = 0; j < n; ++j) {
    e[j] = mode_exp(mode, exact_sub(z[j], m));
    s = exact_add(s, e[j]);
  }
  *max_out = m;
  return s;
}

// softmax_xent's term of a row: log p_y = (z_y - m) - log s, without forming
// p_y: no log(0) when p_y underflows.
GRID_HD inline float xent_term(NumericMode mode, float s, float m, float z_label) {
  return exact_sub(mode_log(mode, s), exact_sub(z_label, m));
}

// dZ of softmax_xent from p = e / s: (p - [j == y]) / divisor, with
// one_hot = [j == y] (1 or 0).
GRID_HD inline float xent_gradient(float p, float one_hot, float divisor) {
  return exact_div(exact_sub(p, one_hot), divisor);
}

// mse's term of an element, (z - t)^2, and its dZ, 2 (z - t) / divisor.
GRID_HD inline float mse_term(float z, float t) {
  const float d = exact_sub(z, t);
  return exact_mul(d, d);
}
GRID_HD inline float mse_gradient(float z, float t, float divisor) {
  return exact_div(exact_mul(2.0f, exact_sub(z, t)), divisor);
}

// relu'(z) from H = relu(Z): H > 0 exactly where Z > 0 (NaN in neither).
GRID_HD inline float relu_gradient(float h, float d) { return h > 0.0f ? d : 0.0f; }

// --- the optimizers: one parameter's update ------------------------------------

GRID_HD inline float weight_decayed(float g, float p, float decay) { return exact_add(g, exact_mul(decay, p)); }

GRID_HD inline float sgd_update(float p, float g, float lr) { return exact_sub(p, exact_mul(lr, g)); }

// u = mu u + g, then p = p - lr u.
GRID_HD inline void momentum_update(float lr, float mu, float* p, float* u, float g) {
  *u = exact_add(exact_mul(mu, *u), g);
  *p = exact_sub(*p, exact_mul(lr, *u));
}

// The step's constants of adam, from the config and the update count t
// (mlp_optimizer.cc makes them, on the host for the device too).
struct AdamStep {
  float beta1, beta2, one_minus_b1, one_minus_b2, step_size, sqrt_c2, eps;
};

GRID_HD inline void adam_update(const AdamStep& a, float* p, float* m, float* v, float g) {
  *m = exact_add(exact_mul(a.beta1, *m), exact_mul(a.one_minus_b1, g));
  *v = exact_add(exact_mul(a.beta2, *v), exact_mul(a.one_minus_b2, exact_mul(g, g)));
  const float denom = exact_add(exact_div(exact_sqrt(*v), a.sqrt_c2), a.eps);
  *p = exact_sub(*p, exact_mul(a.step_size, exact_div(*m, denom)));
}

}  // namespace grid::mlp_math
