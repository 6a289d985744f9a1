#include "compute/mlp_layers.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "compute/exact_math.h"
#include "compute/mlp_math.h"

namespace grid::mlp {
namespace {

using Index = std::ptrdiff_t;

using mlp_math::shifted_exps;

}  // namespace

Tensors zero_parameters(const std::vector<int>& layers) {
  Tensors t;
  for (size_t l = 0; l + 1 < layers.size(); ++l) {
    t.emplace_back(static_cast<size_t>(layers[l]) * layers[l + 1], 0.0f);
    t.emplace_back(static_cast<size_t>(layers[l + 1]), 0.0f);
  }
  return t;
}

void forward(const GemmEngine& engine, const std::vector<int>& layers, const Tensors& params,
             const float* x, int rows, Tensors* acts) {
  const int L = static_cast<int>(layers.size()) - 1;
  acts->resize(L + 1);
  (*acts)[0].clear();
  const float* in = x;
  for (int l = 0; l < L; ++l) {
    const int n_in = layers[l], n_out = layers[l + 1];
    std::vector<float>& z = (*acts)[l + 1];
    z.resize(static_cast<size_t>(rows) * n_out);  // the GEMM writes every entry
    engine.gemm(rows, n_out, n_in, in, n_in, params[2 * l].data(), n_out, z.data(), n_out);
    const float* b = params[2 * l + 1].data();
    const bool hidden = l + 1 < L;
    for (Index i = 0; i < rows; ++i) {
      float* zr = z.data() + i * n_out;
      // One loop each way: GCC vectorizes both, where one loop on `hidden`
      // it did not.
      if (hidden)
        for (int j = 0; j < n_out; ++j) zr[j] = mlp_math::bias_activation(zr[j], b[j], true);
      else
        for (int j = 0; j < n_out; ++j) zr[j] = mlp_math::bias_activation(zr[j], b[j], false);
    }
    in = z.data();
  }
}

void accumulate_loss(MlpLoss loss, NumericMode mode, const float* z, int rows, int n,
                     const int32_t* labels, const float* targets, float* sum) {
  float acc = *sum;
  if (loss == MlpLoss::softmax_xent) {
    std::vector<float> e(n);
    for (Index i = 0; i < rows; ++i) {
      const float* zr = z + i * n;
      float m;
      const float s = shifted_exps(mode, zr, n, e.data(), &m);
      acc = exact_add(acc, mlp_math::xent_term(mode, s, m, zr[labels[i]]));
    }
  } else {
    const Index count = static_cast<Index>(rows) * n;
    for (Index e = 0; e < count; ++e) acc = exact_add(acc, mlp_math::mse_term(z[e], targets[e]));
  }
  *sum = acc;
}

float loss_divisor(MlpLoss loss, int64_t rows, int n) {
  // One int -> float conversion (correctly rounded, so the same everywhere).
  return static_cast<float>(loss == MlpLoss::softmax_xent ? rows : rows * n);
}

void loss_gradient(MlpLoss loss, NumericMode mode, const float* z, int rows, int64_t batch_rows, int n,
                   const int32_t* labels, const float* targets, float* dz) {
  const float div = loss_divisor(loss, batch_rows, n);
  if (loss == MlpLoss::softmax_xent) {
    softmax_rows(mode, z, rows, n, dz);
    for (Index i = 0; i < rows; ++i) {
      float* g = dz + i * n;
      for (int j = 0; j < n; ++j) g[j] = mlp_math::xent_gradient(g[j], j == labels[i] ? 1.0f : 0.0f, div);
    }
  } else {
    const Index count = static_cast<Index>(rows) * n;
    for (Index e = 0; e < count; ++e) dz[e] = mlp_math::mse_gradient(z[e], targets[e], div);
  }
}

void softmax_rows(NumericMode mode, const float* z, int rows, int n, float* p) {
  for (Index i = 0; i < rows; ++i) {
    float m;
    float* pr = p + i * n;
    const float s = shifted_exps(mode, z + i * n, n, pr, &m);
    for (int j = 0; j < n; ++j) pr[j] = exact_div(pr[j], s);
  }
}

void backward(const GemmEngine& engine, const std::vector<int>& layers, const Tensors& params,
              const float* x, const Tensors& acts, int rows, std::vector<float>* dz_buf,
              std::vector<float>* spare, Tensors* grads) {
  std::vector<float>& dz = *dz_buf;
  const int L = static_cast<int>(layers.size()) - 1;
  grads->resize(2 * L);
  for (int l = L - 1; l >= 0; --l) {
    const int n_in = layers[l], n_out = layers[l + 1];
    const float* h = l == 0 ? x : acts[l].data();

    std::vector<float>& gw = (*grads)[2 * l];
    gw.resize(static_cast<size_t>(n_in) * n_out);  // the GEMM writes every entry
    engine.gemm_tn(n_in, n_out, rows, h, dz.data(), gw.data());

    std::vector<float>& gb = (*grads)[2 * l + 1];
    gb.assign(n_out, 0.0f);
    for (Index i = 0; i < rows; ++i)
      for (int j = 0; j < n_out; ++j) gb[j] = exact_add(gb[j], dz[i * n_out + j]);

    if (l == 0) break;  // nothing needs dX
    std::vector<float>& dh = *spare;
    dh.resize(static_cast<size_t>(rows) * n_in);
    engine.gemm_nt(rows, n_in, n_out, dz.data(), params[2 * l].data(), dh.data());
    // A select, not a branch: it vectorizes, and half the units are active,
    // which a branch predictor cannot guess.
    float* d = dh.data();
    for (Index e = 0; e < static_cast<Index>(rows) * n_in; ++e) d[e] = mlp_math::relu_gradient(h[e], d[e]);
    dz.swap(dh);
  }
}

std::vector<float> predict(const GemmEngine& engine, const std::vector<int>& layers,
                           const Tensors& params, MlpLoss output, const float* x, int rows) {
  const int n_in = layers.front(), n_out = layers.back();
  std::vector<float> out(static_cast<size_t>(std::max(rows, 0)) * n_out);
  Tensors acts;
  for (int r0 = 0; r0 < rows; r0 += kBlockRows) {
    const int block = std::min(kBlockRows, rows - r0);
    forward(engine, layers, params, x + static_cast<Index>(r0) * n_in, block, &acts);
    float* dst = out.data() + static_cast<Index>(r0) * n_out;
    if (output == MlpLoss::softmax_xent)
      softmax_rows(engine.mode, acts.back().data(), block, n_out, dst);
    else
      std::copy(acts.back().begin(), acts.back().end(), dst);
  }
  return out;
}

}  // namespace grid::mlp
