// Training steps on a CUDA GPU with the dataset, the model and its optimizer
// state resident on the device (lib/cuda/mlp_train.cu): a step sends the
// batch's row numbers over, 4 bytes a row, and nothing comes back until the
// state or the loss is read. The Trainer (mlp.h) uses it for an engine with
// `cuda` set; the CPU path stays the reference.
//
// Exact mode gives the CPU's bits: the GEMMs are exact_gemm_cuda, with the
// DEFINITION's explicit transposed copies, and every other operation is
// mlp_math.h's, the very functions the CPU loops call, in the same order
// (sums over rows or elements run on one thread, in order). Fast mode runs
// cuBLAS FP32 and CUDA's expf/logf.
//
// Plain C++, like device_cuda.h: in a build without CUDA every function
// throws DeviceError.
#pragma once

#include <cstdint>
#include <vector>

#include "core/device_error.h"
#include "compute/gemm.h"
#include "compute/mlp.h"
#include "compute/mlp_math.h"

namespace grid {

// One trainer's device memory and stream; made and freed by the backend
// (mlp.h declares it, and MlpCudaDeleter, which calls mlp_cuda_destroy).

// What the device trainer is given once: the net, how it is trained, the
// dataset (copied to the device whole).
struct MlpCudaSetup {
  std::vector<int> layers;
  MlpLoss loss = MlpLoss::softmax_xent;
  MlpOptimizer optimizer = MlpOptimizer::sgd;
  NumericMode mode = NumericMode::exact;
  float lr = 0, momentum = 0, weight_decay = 0;
  int batch = 0;
  const Dataset* data = nullptr;
};

// What changes from step to step: the batch's dataset rows, and adam's
// constants (mlp_optimizer.h's adam_step, made on the host: the backend
// links no CPU code).
struct MlpCudaStep {
  const std::int32_t* rows = nullptr;  // setup.batch of them
  mlp_math::AdamStep adam{};
  float loss_divisor = 1;  // mlp::loss_divisor of the batch
};

// Allocates and uploads; the parameters and optimizer slots are then
// mlp_cuda_upload's to set. Throws DeviceError (no GPU, out of memory).
MlpCudaState* mlp_cuda_create(const MlpCudaSetup& setup);
void mlp_cuda_destroy(MlpCudaState* s);
// Parameters W_0, b_0, ... and the slots as the Trainer holds them
// (momentum: one velocity per tensor; adam: m_k, v_k at 2k, 2k + 1), to the
// device and back. Download waits for the steps enqueued before it.
void mlp_cuda_upload(MlpCudaState* s, const std::vector<std::vector<float>>& params,
                     const std::vector<std::vector<float>>& slots);
void mlp_cuda_download(MlpCudaState* s, std::vector<std::vector<float>>* params,
                       std::vector<std::vector<float>>* slots);
// Enqueues one training step; returns without waiting for it.
void mlp_cuda_step(MlpCudaState* s, const MlpCudaStep& step);
// The loss of the batch of the last step, before its update (waits for it).
float mlp_cuda_loss(MlpCudaState* s);

#if !GRID_CUDA
inline MlpCudaState* mlp_cuda_create(const MlpCudaSetup&) {
  throw DeviceError("mlp_cuda_create: this build has no CUDA backend (built with CUDA=0)");
}
inline void mlp_cuda_destroy(MlpCudaState*) {}
inline void mlp_cuda_upload(MlpCudaState*, const std::vector<std::vector<float>>&,
                            const std::vector<std::vector<float>>&) {
  throw DeviceError("mlp_cuda_upload: this build has no CUDA backend (built with CUDA=0)");
}
inline void mlp_cuda_download(MlpCudaState*, std::vector<std::vector<float>>*, std::vector<std::vector<float>>*) {
  throw DeviceError("mlp_cuda_download: this build has no CUDA backend (built with CUDA=0)");
}
inline void mlp_cuda_step(MlpCudaState*, const MlpCudaStep&) {
  throw DeviceError("mlp_cuda_step: this build has no CUDA backend (built with CUDA=0)");
}
inline float mlp_cuda_loss(MlpCudaState*) {
  throw DeviceError("mlp_cuda_loss: this build has no CUDA backend (built with CUDA=0)");
}
#endif

}  // namespace grid
