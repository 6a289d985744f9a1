// The arithmetic of an MLP's forward pass, losses and backward pass, shared
// by training (mlp.cc) and inference (mlp_state.cc). The order of every
// operation here is the DEFINITION in mlp.h; change one, change the other.
#pragma once

#include <cstdint>
#include <vector>

#include "compute/mlp.h"

namespace grid::mlp {

// W_0, b_0, W_1, b_1, ... (see mlp.h for shapes).
using Tensors = std::vector<std::vector<float>>;

// Zero tensors in the shapes of `layers`' parameters.
Tensors zero_parameters(const std::vector<int>& layers);

// acts[l] for l = 1..L: relu(Z_l) for hidden layers, Z_L for the output, each
// rows x layers[l]. acts[0] is left empty: the inputs stay with the caller.
void forward(const GemmEngine& engine, const std::vector<int>& layers, const Tensors& params,
             const float* x, int rows, Tensors* acts);

// Adds this block's loss terms to *sum, continuing one sequential sum across
// calls (xent: one term per row; mse: one per element, row-major), so a
// dataset evaluated in blocks gives the bits of one pass.
void accumulate_loss(MlpLoss loss, NumericMode mode, const float* z, int rows, int n,
                     const int32_t* labels, const float* targets, float* sum);

// The divisor that turns a sum of loss terms into the mean loss over `rows`.
float loss_divisor(MlpLoss loss, int64_t rows, int n);

// dL/dZ_L of the mean loss over a batch of `batch_rows` rows, for `rows`
// of them (all of the batch, or one micro-batch), written to dz (rows x n).
void loss_gradient(MlpLoss loss, NumericMode mode, const float* z, int rows, int64_t batch_rows, int n,
                   const int32_t* labels, const float* targets, float* dz);

// Row-wise softmax of z into p (rows x n).
void softmax_rows(NumericMode mode, const float* z, int rows, int n, float* p);

// Gradients of all parameters into *grads (shaped like params), from the
// inputs x, the forward activations and dZ_L in *dz. *dz and *spare are
// working space, left holding garbage; a caller that keeps them (and
// *grads) from step to step allocates nothing once they have grown.
void backward(const GemmEngine& engine, const std::vector<int>& layers, const Tensors& params,
              const float* x, const Tensors& acts, int rows, std::vector<float>* dz, std::vector<float>* spare,
              Tensors* grads);

// rows x layers.back() outputs: softmax probabilities for softmax_xent, Z_L
// for mse. Runs kBlockRows inputs at a time to bound the activations' memory;
// rows are independent, so the blocking changes no bits.
std::vector<float> predict(const GemmEngine& engine, const std::vector<int>& layers,
                           const Tensors& params, MlpLoss output, const float* x, int rows);

// Rows per forward pass in evaluation and prediction.
constexpr int kBlockRows = 1024;

}  // namespace grid::mlp
