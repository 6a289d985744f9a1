#include "compute/mlp.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "compute/device_cuda.h"
#include "compute/exact_math.h"
#include "compute/mlp_cuda.h"
#include "compute/mlp_layers.h"
#include "compute/micro_batch_sum.h"
#include "compute/mlp_optimizer.h"
#include "compute/nccl_cuda.h"
#include "compute/nccl_sum.h"
#include "compute/philox.h"

namespace grid {
namespace {

using Index = std::ptrdiff_t;

// Field names of the train job spec (kind_train_spec.cc), so an error from
// here points at the field the user wrote.
const std::string kLayersField = ".train.model.layers";
const std::string kLossField = ".train.loss";
const std::string kOptimizerField = ".train.optimizer";  // + ".name", ".lr", ...
const std::string kBatchField = ".train.batch";
const std::string kMicroBatchesField = ".train.micro_batches";
const std::string kStepsField = ".train.steps";
const std::string kDataField = ".train.data";

MlpLoss parse_loss(const std::string& name) {
  if (name == "softmax_xent") return MlpLoss::softmax_xent;
  if (name == "mse") return MlpLoss::mse;
  throw data_error("unknown loss '" + name + "' (softmax_xent or mse)", kLossField);
}

MlpOptimizer parse_optimizer(const std::string& name) {
  if (name == "sgd") return MlpOptimizer::sgd;
  if (name == "momentum") return MlpOptimizer::momentum;
  if (name == "adam") return MlpOptimizer::adam;
  throw data_error("unknown optimizer '" + name + "' (sgd, momentum or adam)",
                   kOptimizerField + ".name");
}

std::string str(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

// A hyperparameter `name` of the optimizer that must be finite and in
// [lo, hi), or (lo, hi) when lo is excluded.
void check_range(float value, float lo, bool lo_included, float hi, const std::string& name) {
  const bool ok = std::isfinite(value) && (lo_included ? value >= lo : value > lo) && value < hi;
  if (!ok)
    throw data_error(name + " must be finite and in " + (lo_included ? "[" : "(") + str(lo) + ", " +
                         (std::isinf(hi) ? std::string("inf") : str(hi)) + "), not " + str(value),
                     kOptimizerField + "." + name);
}

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

}  // namespace

void validate_mlp_config(const MlpConfig& c) {
  if (c.layers.size() < 2)
    throw data_error("layers needs at least an input and an output size, got " +
                         std::to_string(c.layers.size()) + " entries",
                     kLayersField);
  int64_t params = 0;
  for (size_t l = 0; l < c.layers.size(); ++l) {
    if (c.layers[l] < 1 || c.layers[l] > kMlpMaxWidth)
      throw data_error("layers[" + std::to_string(l) + "] = " + std::to_string(c.layers[l]) +
                           " is outside 1.." + std::to_string(kMlpMaxWidth),
                       kLayersField);
    if (l > 0) params += int64_t{c.layers[l - 1]} * c.layers[l] + c.layers[l];
  }
  if (params > kMlpMaxParameters)
    throw data_error("the net has " + std::to_string(params) + " parameters, more than " +
                         std::to_string(kMlpMaxParameters),
                     kLayersField);
  const MlpLoss loss = parse_loss(c.loss);
  if (loss == MlpLoss::softmax_xent && c.layers.back() < 2)
    throw data_error("softmax_xent needs at least 2 outputs (the last entry of layers)",
                     kLayersField);
  const MlpOptimizer optimizer = parse_optimizer(c.optimizer);
  const float inf = std::numeric_limits<float>::infinity();
  check_range(c.lr, 0.0f, false, inf, "lr");
  check_range(c.weight_decay, 0.0f, true, inf, "weight_decay");
  if (optimizer == MlpOptimizer::momentum) check_range(c.momentum, 0.0f, true, 1.0f, "momentum");
  if (optimizer == MlpOptimizer::adam) {
    check_range(c.beta1, 0.0f, true, 1.0f, "beta1");
    check_range(c.beta2, 0.0f, true, 1.0f, "beta2");
    check_range(c.eps, 0.0f, false, inf, "eps");
  }
  if (c.batch < 1 || c.batch > kMlpMaxBatch)
    throw data_error(
        "batch = " + std::to_string(c.batch) + " is outside 1.." + std::to_string(kMlpMaxBatch),
        kBatchField);
  if (c.micro_batches < 1 || c.micro_batches > c.batch || c.batch % c.micro_batches != 0)
    throw data_error("micro_batches = " + std::to_string(c.micro_batches) + " does not divide batch = " +
                         std::to_string(c.batch),
                     kMicroBatchesField);
  const int widest = *std::max_element(c.layers.begin(), c.layers.end());
  if (int64_t{c.batch} * widest > kMlpMaxParameters)
    throw data_error("batch x widest layer = " + std::to_string(int64_t{c.batch} * widest) +
                         " activations, more than " + std::to_string(kMlpMaxParameters),
                     kBatchField);
  if (c.steps < 0)
    throw data_error("steps = " + std::to_string(c.steps) + " is negative", kStepsField);
}

void validate_mlp_dataset(const MlpConfig& c, const Dataset& d) {
  validate_mlp_config(c);
  if (d.features != c.layers.front())
    throw data_error("layers[0] = " + std::to_string(c.layers.front()) + " but the data has " +
                         std::to_string(d.features) + " features",
                     kLayersField);
  if (d.outputs != c.layers.back())
    throw data_error("the last layer has " + std::to_string(c.layers.back()) +
                         " outputs but the data has " + std::to_string(d.outputs),
                     kLayersField);
  if (d.rows < 1) throw data_error("the data has no rows", kDataField);
  if (d.x.size() != static_cast<size_t>(d.rows) * d.features)
    throw data_error("x has " + std::to_string(d.x.size()) + " values, not rows x features = " +
                         std::to_string(static_cast<size_t>(d.rows) * d.features),
                     kDataField);
  if (!all_finite(d.x)) throw data_error("x holds a NaN or an infinity", kDataField);
  if (parse_loss(c.loss) == MlpLoss::softmax_xent) {
    if (d.labels.size() != static_cast<size_t>(d.rows))
      throw data_error("softmax_xent needs one label per row: " + std::to_string(d.labels.size()) +
                           " labels, " + std::to_string(d.rows) + " rows",
                       kDataField);
    for (size_t i = 0; i < d.labels.size(); ++i)
      if (d.labels[i] < 0 || d.labels[i] >= d.outputs)
        throw data_error("label of row " + std::to_string(i) + " is " +
                             std::to_string(d.labels[i]) + ", outside 0.." +
                             std::to_string(d.outputs - 1),
                         kDataField);
  } else {
    if (d.targets.size() != static_cast<size_t>(d.rows) * d.outputs)
      throw data_error(
          "mse needs rows x outputs = " + std::to_string(static_cast<size_t>(d.rows) * d.outputs) +
              " targets, not " + std::to_string(d.targets.size()),
          kDataField);
    if (!all_finite(d.targets)) throw data_error("targets hold a NaN or an infinity", kDataField);
  }
}

Trainer::Trainer(const MlpConfig& config, const Dataset& data, GemmEngine engine)
    : config_(config),
      data_(data),
      engine_(engine),
      last_loss_(std::numeric_limits<float>::quiet_NaN()) {
  validate_mlp_dataset(config_, data_);
  loss_ = parse_loss(config_.loss);
  optimizer_ = parse_optimizer(config_.optimizer);
  params_ = mlp::zero_parameters(config_.layers);
  for (size_t l = 0; l + 1 < config_.layers.size(); ++l) {
    const float limit = exact_sqrt(exact_div(6.0f, static_cast<float>(config_.layers[l])));
    std::vector<float>& w = params_[2 * l];
    const uint32_t stream = kMlpInitStream + static_cast<uint32_t>(l);
    for (size_t e = 0; e < w.size(); ++e)
      w[e] = exact_mul(philox_uniform_pm1(philox_word(config_.seed, stream, e)), limit);
  }
  slots_ = mlp::optimizer_slots(optimizer_, params_);
}

std::vector<int32_t> Trainer::batch_rows(int64_t step) const {
  std::vector<int32_t> rows(config_.batch);
  const uint64_t base = static_cast<uint64_t>(step) * static_cast<uint64_t>(config_.batch);
  for (int j = 0; j < config_.batch; ++j)
    rows[j] = static_cast<int32_t>(philox_word(config_.seed, kMlpBatchStream, base + j) %
                                   static_cast<uint32_t>(data_.rows));
  return rows;
}

MlpGradients Trainer::batch_gradients(const std::vector<int32_t>& rows) const {
  fetch_from_device();
  MlpStepBuffers buf;
  MlpGradients out;
  const int B = static_cast<int>(rows.size());
  gradients_into(rows.data(), B, B, &buf, &out);
  return out;
}

void Trainer::gradients_into(const int32_t* rows, int B, int batch, MlpStepBuffers* buf, MlpGradients* out) const {
  const int F = data_.features, n = data_.outputs;
  if (B == 0) throw std::invalid_argument("batch_gradients: no rows");
  std::vector<float>& x = buf->x;
  x.resize(static_cast<size_t>(B) * F);
  buf->labels.clear();
  buf->targets.clear();
  for (int i = 0; i < B; ++i) {
    const int32_t r = rows[i];
    if (r < 0 || r >= data_.rows)
      throw std::invalid_argument("batch_gradients: row " + std::to_string(r) + " out of range");
    std::copy_n(data_.x.begin() + static_cast<Index>(r) * F, F,
                x.begin() + static_cast<Index>(i) * F);
    if (loss_ == MlpLoss::softmax_xent)
      buf->labels.push_back(data_.labels[r]);
    else
      buf->targets.insert(buf->targets.end(), data_.targets.begin() + static_cast<Index>(r) * n,
                          data_.targets.begin() + static_cast<Index>(r + 1) * n);
  }

  mlp::forward(engine_, config_.layers, params_, x.data(), B, &buf->acts);
  const std::vector<float>& z = buf->acts.back();
  float sum = 0.0f;
  mlp::accumulate_loss(loss_, engine_.mode, z.data(), B, n, buf->labels.data(), buf->targets.data(), &sum);
  out->loss_sum = sum;
  out->loss = exact_div(sum, mlp::loss_divisor(loss_, batch, n));
  buf->dz.resize(z.size());
  mlp::loss_gradient(loss_, engine_.mode, z.data(), B, batch, n, buf->labels.data(), buf->targets.data(), buf->dz.data());
  mlp::backward(engine_, config_.layers, params_, x.data(), buf->acts, B, &buf->dz, &buf->spare, &out->grads);
}

void MlpCudaDeleter::operator()(MlpCudaState* s) const { mlp_cuda_destroy(s); }

void Trainer::set_ranks(RankWorld* world) {
  if (world && config_.micro_batches % world->size() != 0)
    throw Error(Exit::usage, std::to_string(world->size()) + " ranks (" + world->from() + ") do not divide micro_batches = " +
                                 std::to_string(config_.micro_batches))
        .at_field(kMicroBatchesField);
  world_ = world && world->size() > 1 ? world : nullptr;
  // The GPU its local rank picks runs this rank's products and, in fast
  // mode, the NCCL all-reduce of its gradients, if every rank has a GPU of
  // its own; where ranks share one, fast mode sums through MPI_Allreduce.
  if (world_ && engine_.cuda) {
    const int gpus = cuda_device_count();
    const int dev = rank_cuda_device(gpus);
    cuda_use_device(dev);
    if (engine_.mode == NumericMode::fast && gpu_a_rank(*world_, gpus)) reduce_.use_nccl(*world_, dev);
  }
}

void Trainer::micro_batch_gradients(const std::vector<int32_t>& rows) {
  const int B = config_.batch, M = config_.micro_batches, per = B / M;
  if (!world_) {
    // One rank: a running sum, so M partials are never held at once.
    for (int m = 0; m < M; ++m) {
      gradients_into(rows.data() + static_cast<Index>(m) * per, per, B, &buffers_, m == 0 ? &grads_ : &part_);
      if (m == 0) continue;
      grads_.loss_sum = exact_add(grads_.loss_sum, part_.loss_sum);
      for (size_t k = 0; k < grads_.grads.size(); ++k) {
        float* g = grads_.grads[k].data();
        const float* p = part_.grads[k].data();
        for (size_t e = 0; e < grads_.grads[k].size(); ++e) g[e] = exact_add(g[e], p[e]);
      }
    }
  } else {
    // Each partial flattened as W_0, b_0, ..., then its loss sum.
    const int local = M / world_->size(), first = world_->rank() * local;
    size_t n = 1;
    for (const auto& p : params_) n += p.size();
    partials_.resize(static_cast<size_t>(local) * n);
    for (int m = 0; m < local; ++m) {
      gradients_into(rows.data() + static_cast<Index>(first + m) * per, per, B, &buffers_, &part_);
      float* at = partials_.data() + static_cast<size_t>(m) * n;
      for (const auto& g : part_.grads) at = std::copy(g.begin(), g.end(), at);
      *at = part_.loss_sum;
    }
    reduce_(*world_, engine_.mode == NumericMode::exact, partials_, local, n, &summed_);
    grads_.grads.resize(params_.size());
    const float* at = summed_.data();
    for (size_t k = 0; k < params_.size(); ++k) {
      grads_.grads[k].assign(at, at + params_[k].size());
      at += params_[k].size();
    }
    grads_.loss_sum = *at;
  }
  grads_.loss = exact_div(grads_.loss_sum, mlp::loss_divisor(loss_, B, data_.outputs));
}

void Trainer::step() {
  // The device-resident step is one micro-batch on one rank; micro-batches
  // and ranks take the host path, whose products still run on the device.
  if (engine_.cuda && config_.micro_batches == 1 && !world_) return step_on_device();
  const std::vector<int32_t> rows = batch_rows(step_);
  if (config_.micro_batches == 1 && !world_)
    gradients_into(rows.data(), config_.batch, config_.batch, &buffers_, &grads_);
  else
    micro_batch_gradients(rows);
  if (optimizer_ == MlpOptimizer::adam) ++adam_t_;
  mlp::optimizer_update(config_, optimizer_, adam_t_, &params_, &grads_.grads, &slots_);
  last_loss_ = grads_.loss;
  ++step_;
}

void Trainer::step_on_device() {
  if (!device_) {
    MlpCudaSetup setup;
    setup.layers = config_.layers;
    setup.loss = loss_;
    setup.optimizer = optimizer_;
    setup.mode = engine_.mode;
    setup.lr = config_.lr;
    setup.momentum = config_.momentum;
    setup.weight_decay = config_.weight_decay;
    setup.batch = config_.batch;
    setup.data = &data_;
    device_.reset(mlp_cuda_create(setup));
    device_stale_ = true;
  }
  if (device_stale_) {
    mlp_cuda_upload(device_.get(), params_, slots_);
    device_stale_ = false;
  }
  const std::vector<int32_t> rows = batch_rows(step_);
  MlpCudaStep s;
  s.rows = rows.data();
  s.loss_divisor = mlp::loss_divisor(loss_, config_.batch, data_.outputs);
  if (optimizer_ == MlpOptimizer::adam) s.adam = mlp::adam_step(config_, adam_t_ + 1);
  mlp_cuda_step(device_.get(), s);
  if (optimizer_ == MlpOptimizer::adam) ++adam_t_;
  host_stale_ = loss_stale_ = true;
  ++step_;
}

void Trainer::fetch_from_device() const {
  if (!host_stale_) return;
  mlp_cuda_download(device_.get(), &params_, &slots_);
  host_stale_ = false;
}

float Trainer::last_loss() const {
  if (loss_stale_) {
    last_loss_ = mlp_cuda_loss(device_.get());
    loss_stale_ = false;
  }
  return last_loss_;
}

float Trainer::evaluate_loss() const { return evaluate_loss(data_); }

float Trainer::evaluate_loss(const Dataset& data) const {
  validate_mlp_dataset(config_, data);
  fetch_from_device();
  const int F = data.features, n = data.outputs;
  float sum = 0.0f;
  mlp::Tensors acts;
  for (int r0 = 0; r0 < data.rows; r0 += mlp::kBlockRows) {
    const int block = std::min(mlp::kBlockRows, data.rows - r0);
    mlp::forward(engine_, config_.layers, params_, data.x.data() + static_cast<Index>(r0) * F,
                 block, &acts);
    const int32_t* labels = loss_ == MlpLoss::softmax_xent ? data.labels.data() + r0 : nullptr;
    const float* targets =
        loss_ == MlpLoss::mse ? data.targets.data() + static_cast<Index>(r0) * n : nullptr;
    mlp::accumulate_loss(loss_, engine_.mode, acts.back().data(), block, n, labels, targets, &sum);
  }
  return exact_div(sum, mlp::loss_divisor(loss_, data.rows, n));
}

std::vector<float> Trainer::predict(const float* x, int rows) const {
  if (rows < 0) throw std::invalid_argument("predict: negative row count");
  fetch_from_device();
  return mlp::predict(engine_, config_.layers, params_, loss_, x, rows);
}

}  // namespace grid
