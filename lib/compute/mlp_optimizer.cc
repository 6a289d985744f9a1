#include "compute/mlp_optimizer.h"

#include <cstddef>

#include "compute/exact_math.h"
#include "compute/mlp_math.h"

namespace grid::mlp {

Tensors optimizer_slots(MlpOptimizer optimizer, const Tensors& params) {
  Tensors slots;
  const int per_tensor = optimizer == MlpOptimizer::sgd        ? 0
                         : optimizer == MlpOptimizer::momentum ? 1
                                                               : 2;
  for (const auto& p : params)
    for (int s = 0; s < per_tensor; ++s) slots.emplace_back(p.size(), 0.0f);
  return slots;
}

float exact_powi(float b, int64_t t) {
  if (t == 0) return 1.0f;
  return exact_exp(exact_mul(static_cast<float>(t), exact_log(b)));
}

// The loops take their hyperparameters as locals and their arrays as
// restrict pointers: otherwise a store through a float array might change a
// float field of the config, and GCC would reload it and not vectorize.
// Vector lanes round as the scalar operations do, so the bits are the same.
namespace {

void add_weight_decay(float decay, const float* __restrict p, float* __restrict g, size_t n) {
  for (size_t e = 0; e < n; ++e) g[e] = mlp_math::weight_decayed(g[e], p[e], decay);
}

void sgd(float lr, float* __restrict p, const float* __restrict g, size_t n) {
  for (size_t e = 0; e < n; ++e) p[e] = mlp_math::sgd_update(p[e], g[e], lr);
}

void momentum(float lr, float mu, float* __restrict p, float* __restrict u, const float* __restrict g, size_t n) {
  for (size_t e = 0; e < n; ++e) mlp_math::momentum_update(lr, mu, &p[e], &u[e], g[e]);
}

void adam(const mlp_math::AdamStep a, float* __restrict p, float* __restrict m, float* __restrict v,
          const float* __restrict g, size_t n) {
  for (size_t e = 0; e < n; ++e) mlp_math::adam_update(a, &p[e], &m[e], &v[e], g[e]);
}

}  // namespace

mlp_math::AdamStep adam_step(const MlpConfig& c, int64_t adam_t) {
  mlp_math::AdamStep a;
  a.beta1 = c.beta1;
  a.beta2 = c.beta2;
  a.one_minus_b1 = exact_sub(1.0f, c.beta1);
  a.one_minus_b2 = exact_sub(1.0f, c.beta2);
  a.step_size = exact_div(c.lr, exact_sub(1.0f, exact_powi(c.beta1, adam_t)));
  a.sqrt_c2 = exact_sqrt(exact_sub(1.0f, exact_powi(c.beta2, adam_t)));
  a.eps = c.eps;
  return a;
}

void optimizer_update(const MlpConfig& c, MlpOptimizer optimizer, int64_t adam_t, Tensors* params,
                      Tensors* grads, Tensors* slots) {
  Tensors& P = *params;
  Tensors& G = *grads;
  Tensors& S = *slots;
  if (c.weight_decay != 0.0f)
    for (size_t k = 0; k < P.size(); ++k) add_weight_decay(c.weight_decay, P[k].data(), G[k].data(), P[k].size());

  switch (optimizer) {
    case MlpOptimizer::sgd:
      for (size_t k = 0; k < P.size(); ++k) sgd(c.lr, P[k].data(), G[k].data(), P[k].size());
      break;
    case MlpOptimizer::momentum:
      for (size_t k = 0; k < P.size(); ++k) momentum(c.lr, c.momentum, P[k].data(), S[k].data(), G[k].data(), P[k].size());
      break;
    case MlpOptimizer::adam: {
      const mlp_math::AdamStep a = adam_step(c, adam_t);
      for (size_t k = 0; k < P.size(); ++k)
        adam(a, P[k].data(), S[2 * k].data(), S[2 * k + 1].data(), G[k].data(), P[k].size());
      break;
    }
  }
}

}  // namespace grid::mlp
