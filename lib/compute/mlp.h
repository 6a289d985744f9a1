// Training and inference of a multilayer perceptron: the core of job-run's
// `train` and `infer` kinds.
//
// In exact mode the state after any step has the same bytes on every CPU and
// GPU and at any thread count, so a verifier re-runs a segment from a
// checkpoint and compares SHA-256s. The DEFINITION below fixes every
// operation and its order; it is a contract that verifiers reimplement
// (tests/mlp_reference.py is one, in NumPy).
//
// DEFINITION (exact mode). All arithmetic is FP32 through exact_math.h
// (exact_add/sub/mul/div/sqrt/exp/log/relu, round to nearest even), sums
// start from +0 and run in the order given, and the only fused multiply-adds
// are those inside the GEMM and inside exact_exp/exact_log. GEMM(A, B) is
// exact_gemm.h's C = A*B (one fma chain per output, p = 0..k-1); A^T is an
// explicit copy, so a GEMM with a transposed operand is the NN GEMM of the
// copy.
//
//   L = layers.size() - 1 weight layers; W_l is layers[l] x layers[l+1]
//   (row-major, inputs by outputs), b_l has layers[l+1] entries.
//
//   Init: W_l[e] = philox_uniform_pm1(philox_word(seed, kMlpInitStream + l,
//   e)) * limit_l for element index e = row * layers[l+1] + col, with
//   limit_l = sqrt(6 / float(layers[l])) (He-uniform); b_l = +0.
//
//   Batch of step s (s = 0, 1, ...): row j (j = 0..batch-1) is
//   philox_word(seed, kMlpBatchStream, s * batch + j) % rows: sampling with
//   replacement, so any step can be re-run without replaying the ones
//   before it. (The modulo bias is below rows / 2^32.)
//
//   Forward: H_0 = X (batch rows in the order drawn), Z_l = GEMM(H_{l-1},
//   W_l) then Z_l[i][j] = Z_l[i][j] + b_l[j]; H_l = relu(Z_l) for l < L;
//   the output Z_L has no activation.
//
//   softmax_xent, per row i with label y: m = z[0], then for j = 1..n-1
//   m = z[j] if z[j] > m; e_j = exp(z_j - m); s = sum e_j over j in order;
//   p_j = e_j / s; term_i = log(s) - (z_y - m). Loss = (sum of term_i in row
//   order) / float(B). dZ_L[i][j] = (p_j - [j == y]) / float(B).
//   mse: d = z - t; Loss = (sum of d*d over (i, j) in row-major order) /
//   float(B * n) with B * n converted once from an integer;
//   dZ_L = (2 * d) / float(B * n).
//
//   Backward, for l = L..1: gW_l = GEMM(H_{l-1}^T, dZ_l); gb_l[j] = sum of
//   dZ_l[i][j] over i in row order; for l > 1, dH = GEMM(dZ_l, W_l^T) and
//   dZ_{l-1}[i][j] = H_{l-1}[i][j] > 0 ? dH[i][j] : +0.
//
//   Micro-batches (micro_batches = M > 1; M divides batch): the batch's
//   rows, in the order drawn, are M runs of batch / M. Forward, loss terms,
//   dZ_L (with B the whole batch's rows) and the backward pass above run on
//   each run alone, giving partial gW, gb and a partial loss sum (the sum
//   of its terms, from +0). Each gradient and the loss sum is then
//   p_0 + p_1 + ... + p_{M-1}, left to right, starting from p_0 (not from
//   +0), and Loss = that sum / float(B) (mse: / float(B * n)). Rows are
//   independent until those sums, so every rank count that divides M gives
//   these bits (doc/design.md, "Training across ranks"). M = 1 is the
//   definition above unchanged.
//
//   Weight decay (when weight_decay != 0), on every parameter p with
//   gradient g, biases included: g = g + weight_decay * p.
//   sgd:      p = p - lr * g
//   momentum: u = momentum * u + g;  p = p - lr * u            (u starts +0)
//   adam:     t = t + 1; m = beta1 * m + (1 - beta1) * g;
//             v = beta2 * v + (1 - beta2) * (g * g);
//             c1 = 1 - beta1^t; c2 = 1 - beta2^t, with
//             b^t = exp(float(t) * log(b)) (int64 -> float rounded to nearest);
//             p = p - (lr / c1) * (m / (sqrt(v) / sqrt(c2) + eps))
//   Each binary operation above rounds once, inner parentheses first, a
//   product before the sum it feeds.
//
// Fast mode runs the GEMMs on OpenBLAS and exp/log on libm; it is checked by
// tolerance, never by hash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compute/gemm.h"
#include "compute/micro_batch_sum.h"
#include "core/crypto.h"

namespace grid {

// Philox streams (under the task's seed): weight init of layer l uses
// kMlpInitStream + l, batch sampling kMlpBatchStream. Distinct from the
// streams of seeded_matrix.h and synthetic_data.h, so one seed can drive
// both the data and the training without correlation.
constexpr uint32_t kMlpInitStream = 0x4d4c0000u;   // "ML" << 16
constexpr uint32_t kMlpBatchStream = 0x4d4c4200u;  // "MLB" << 8

// Upper bounds that keep every index in range and a state in memory: a
// width past 2^20, or 2^28 parameters (1 GiB of FP32, 3 GiB with adam) or
// batch x widest-layer activations, is not a job this tool is for.
constexpr int kMlpMaxWidth = 1 << 20;
constexpr int64_t kMlpMaxParameters = int64_t{1} << 28;
constexpr int kMlpMaxBatch = 1 << 20;

// What a `train` task asks for. The activation is relu between layers and
// none on the output. Hyperparameters an optimizer does not use are not
// checked.
struct MlpConfig {
  std::vector<int> layers;            // [inputs, hidden..., outputs]
  std::string loss = "softmax_xent";  // softmax_xent | mse
  std::string optimizer = "sgd";      // sgd | momentum | adam
  float lr = 0.01f;
  float momentum = 0.9f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  int batch = 32;
  int micro_batches = 1;              // divides batch; see the DEFINITION
  int64_t steps = 100;
  uint64_t seed = 0;
};

struct Dataset {
  int rows = 0, features = 0, outputs = 0;
  std::vector<float> x;         // rows x features, row-major
  std::vector<int32_t> labels;  // softmax_xent: the class of each row, 0..outputs-1
  std::vector<std::string> class_names;  // labels given as names: each class's, in index order
  std::vector<float> targets;   // mse: rows x outputs, row-major
};

enum class MlpLoss { softmax_xent, mse };
enum class MlpOptimizer { sgd, momentum, adam };  // values are the state's optimizer code

// Throws Error(Exit::data) when the config cannot be trained, naming the
// field as the train job spec spells it: .train.model.layers, .train.loss,
// .train.optimizer.name, .train.optimizer.lr (and .momentum, .beta1, .beta2,
// .eps, .weight_decay), .train.batch, .train.micro_batches, .train.steps.
void validate_mlp_config(const MlpConfig& config);
// Checks the config as above, then throws Error(Exit::data) when the
// dataset does not fit it: field .train.model.layers for a features/outputs
// mismatch, .train.data for a dataset that is inconsistent in itself (sizes,
// labels out of range, non-finite values).
void validate_mlp_dataset(const MlpConfig& config, const Dataset& data);

// Loss and parameter gradients of one batch, parameters in state order
// (W_0, b_0, W_1, b_1, ...). Weight decay is not included.
struct MlpGradients {
  float loss = 0.0f;
  float loss_sum = 0.0f;  // the loss terms' sum, before the mean's division
  std::vector<std::vector<float>> grads;
};

// The working space of one training step, kept by the Trainer so that a
// step allocates nothing once warm: fresh buffers of this size come from
// mmap, and their page faults cost a third of a fast-mode step.
struct MlpStepBuffers {
  std::vector<float> x, dz, spare;
  std::vector<std::vector<float>> acts;
  std::vector<int32_t> labels;
  std::vector<float> targets;
};

// State serialization (serialize_state; its SHA-256 is state_hash). All
// integers and floats little-endian; every NaN written as 0x7fc00000 (which
// NaN a device makes is not part of the contract).
//
//   8 bytes   "GRIDMLP1"
//   u32       n = number of layer sizes (L + 1)
//   u32 x n   layers
//   u32       optimizer: 0 sgd, 1 momentum, 2 adam
//   i64       step: steps trained so far. The batch generator is counter-
//             based (see DEFINITION), so this is also its whole state.
//   then for l = 0..L-1:  f32 W_l (layers[l] x layers[l+1], row-major),
//                         f32 b_l (layers[l+1])
//   momentum: for each parameter tensor in the order above, its velocity
//   adam:     i64 t (the update count), then for each parameter tensor in
//             the order above, its m then its v
//
// Model serialization (serialize_model, for the infer kind):
//
//   8 bytes   "GRIDMDL1"
//   u32       n, u32 x n layers (as above)
//   u32       output: 0 raw (trained with mse), 1 softmax (softmax_xent)
//   then W_l, b_l for l = 0..L-1 as above
class ByteWriter;  // mlp_state.cc

// A training state on a CUDA device (mlp_cuda.h), freed through its backend.
struct MlpCudaState;
struct MlpCudaDeleter {
  void operator()(MlpCudaState* s) const;
};

class Trainer {
 public:
  // Validates config and data (see validate_mlp_*) and initializes the
  // weights per the DEFINITION. `data` is not copied: it must outlive the
  // Trainer (hence no temporary).
  Trainer(const MlpConfig& config, const Dataset& data, GemmEngine engine);
  Trainer(const MlpConfig&, Dataset&&, GemmEngine) = delete;

  // Trains each batch across `world`'s ranks, this one taking micro-
  // batches rank * M / size .. (rank + 1) * M / size - 1; every rank must
  // step together. Throws Error(Exit::usage) at .train.micro_batches when
  // the world's size does not divide M. `world` must outlive the Trainer.
  // With a CUDA engine each rank takes a GPU (rank_cuda_device), and fast
  // mode sums the gradients with NCCL there when no two ranks share one
  // (gpu_a_rank): collective, as the steps are; DeviceError when NCCL fails.
  void set_ranks(RankWorld* world);

  // Trains one batch. Does not stop at config.steps: the caller counts.
  // With a CUDA engine the state moves to the device at the first step and
  // stays there (mlp_cuda.h); reading it (state_hash, parameters, ...)
  // copies it back, and the steps give the CPU's bits all the same.
  void step();
  int64_t step_index() const { return step_; }
  bool done() const { return step_ >= config_.steps; }
  // The loss of the batch the last step() trained on, before its update;
  // NaN before the first step() and after restore_state (it is not state).
  float last_loss() const;

  // Loss over the whole dataset (the training set, or another one of the
  // same shape) in row order, as the DEFINITION's loss with B = rows.
  float evaluate_loss() const;
  float evaluate_loss(const Dataset& data) const;
  // rows x outputs: softmax probabilities (softmax_xent) or raw outputs (mse).
  std::vector<float> predict(const float* x, int rows) const;

  std::string serialize_state() const;
  // Replaces the state with one from serialize_state of a Trainer with the
  // same layers and optimizer. Throws Error(Exit::data) on anything else.
  void restore_state(const std::string& bytes);
  Digest state_hash() const;
  std::string serialize_model() const;

  // The dataset rows of step s's batch, per the DEFINITION.
  std::vector<int32_t> batch_rows(int64_t step) const;
  // Loss and gradients at the current parameters on the given rows (tests,
  // gradient checks); changes nothing.
  MlpGradients batch_gradients(const std::vector<int32_t>& rows) const;
  // W_0, b_0, W_1, b_1, ...
  const std::vector<std::vector<float>>& parameters() const {
    fetch_from_device();
    return params_;
  }
  const MlpConfig& config() const { return config_; }

 private:
  // serialize_state's bytes, into a string or through a hash.
  void write_state(ByteWriter* w) const;
  MlpConfig config_;
  const Dataset& data_;
  GemmEngine engine_;
  MlpLoss loss_;
  MlpOptimizer optimizer_;
  int64_t step_ = 0;
  int64_t adam_t_ = 0;
  // mutable: with a CUDA engine these three are the host's copy of the
  // device's, refreshed when read (fetch_from_device).
  mutable float last_loss_;
  mutable std::vector<std::vector<float>> params_;
  // momentum: one velocity per tensor; adam: m_k, v_k for tensor k at 2k, 2k+1.
  mutable std::vector<std::vector<float>> slots_;
  // The device's state, once a CUDA engine has stepped; which side holds the
  // newer state: the device after a step (host_stale_, loss_stale_), the
  // host after restore_state (device_stale_).
  std::unique_ptr<MlpCudaState, MlpCudaDeleter> device_;
  mutable bool host_stale_ = false, loss_stale_ = false;
  bool device_stale_ = true;
  void step_on_device();
  void fetch_from_device() const;
  // step()'s working space and gradients, reused (not state).
  MlpStepBuffers buffers_;
  MlpGradients grads_, part_;
  RankWorld* world_ = nullptr;  // nullptr: one rank
  MicroBatchSum reduce_;
  std::vector<float> partials_, summed_;  // micro-batch partials across ranks, flattened

  // Gradients of `count` rows of a batch of `batch` rows (the whole batch
  // or one micro-batch of it).
  void gradients_into(const int32_t* rows, int count, int batch, MlpStepBuffers* buf, MlpGradients* out) const;
  // The DEFINITION's micro-batch sums into grads_.
  void micro_batch_gradients(const std::vector<int32_t>& rows);
};

// Outputs of a serialize_model() model for `rows` inputs (rows x outputs,
// as Trainer::predict). Throws Error(Exit::data) on malformed bytes.
std::vector<float> mlp_predict(const std::string& model_bytes, const float* x, int rows,
                               const GemmEngine& engine);

// The weights of a model, read from serialize_model() bytes ("GRIDMDL1")
// or from a training state (serialize_state(), "GRIDMLP1": the optimizer's
// part is checked and dropped). A state does not record the loss that
// trained it, so `loss` is unset for one: the caller must supply it.
// Throws Error(Exit::data) on anything else or on malformed bytes.
struct MlpModel {
  std::vector<int> layers;
  bool has_loss = false;
  MlpLoss loss = MlpLoss::softmax_xent;
  std::vector<std::vector<float>> params;  // W_0, b_0, W_1, b_1, ...
};
MlpModel read_mlp_model(const std::string& bytes);

// Outputs of `model` (its loss set) for `rows` rows of `features` inputs
// each. Throws Error(Exit::data) at field .infer.data when `features` is
// not the model's input width (layers[0]): the data would be read past
// its end or out of step.
std::vector<float> mlp_predict(const MlpModel& model, const float* x, int rows, int features,
                               const GemmEngine& engine);

}  // namespace grid
