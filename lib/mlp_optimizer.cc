#include "mlp_optimizer.h"

#include <cstddef>

#include "exact_math.h"

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

void optimizer_update(const MlpConfig& c, MlpOptimizer optimizer, int64_t adam_t, Tensors* params,
                      Tensors* grads, Tensors* slots) {
  if (c.weight_decay != 0.0f)
    for (size_t k = 0; k < params->size(); ++k) {
      const std::vector<float>& p = (*params)[k];
      std::vector<float>& g = (*grads)[k];
      for (size_t e = 0; e < p.size(); ++e) g[e] = exact_add(g[e], exact_mul(c.weight_decay, p[e]));
    }

  switch (optimizer) {
    case MlpOptimizer::sgd:
      for (size_t k = 0; k < params->size(); ++k) {
        std::vector<float>& p = (*params)[k];
        const std::vector<float>& g = (*grads)[k];
        for (size_t e = 0; e < p.size(); ++e) p[e] = exact_sub(p[e], exact_mul(c.lr, g[e]));
      }
      break;
    case MlpOptimizer::momentum:
      for (size_t k = 0; k < params->size(); ++k) {
        std::vector<float>& p = (*params)[k];
        std::vector<float>& u = (*slots)[k];
        const std::vector<float>& g = (*grads)[k];
        for (size_t e = 0; e < p.size(); ++e) {
          u[e] = exact_add(exact_mul(c.momentum, u[e]), g[e]);
          p[e] = exact_sub(p[e], exact_mul(c.lr, u[e]));
        }
      }
      break;
    case MlpOptimizer::adam: {
      const float one_minus_b1 = exact_sub(1.0f, c.beta1);
      const float one_minus_b2 = exact_sub(1.0f, c.beta2);
      const float step_size = exact_div(c.lr, exact_sub(1.0f, exact_powi(c.beta1, adam_t)));
      const float sqrt_c2 = exact_sqrt(exact_sub(1.0f, exact_powi(c.beta2, adam_t)));
      for (size_t k = 0; k < params->size(); ++k) {
        std::vector<float>& p = (*params)[k];
        std::vector<float>& m = (*slots)[2 * k];
        std::vector<float>& v = (*slots)[2 * k + 1];
        const std::vector<float>& g = (*grads)[k];
        for (size_t e = 0; e < p.size(); ++e) {
          m[e] = exact_add(exact_mul(c.beta1, m[e]), exact_mul(one_minus_b1, g[e]));
          v[e] =
              exact_add(exact_mul(c.beta2, v[e]), exact_mul(one_minus_b2, exact_mul(g[e], g[e])));
          const float denom = exact_add(exact_div(exact_sqrt(v[e]), sqrt_c2), c.eps);
          p[e] = exact_sub(p[e], exact_mul(step_size, exact_div(m[e], denom)));
        }
      }
      break;
    }
  }
}

}  // namespace grid::mlp
