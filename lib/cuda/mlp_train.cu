// Training steps with everything on the device (mlp_cuda.h): the forward
// and backward GEMMs of mlp_layers.cc and the optimizer of mlp_optimizer.cc,
// step for step, with their element-wise arithmetic taken from mlp_math.h.
// Where the CPU sums in order (a row's exps, the loss over rows, a bias
// gradient over rows), one thread sums in the same order: a parallel
// reduction would change the bits.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compute/exact_gemm.h"
#include "compute/device_cuda.h"
#include "compute/mlp_cuda.h"
#include "compute/mlp_math.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "cuda/fast_gemm.h"

namespace grid {

namespace {

using Index = std::int64_t;
namespace mm = mlp_math;

// The grid-stride loop of every element-wise kernel here.
#define GRID_FOR_EACH(e, count)                                                                       \
  for (Index e = blockIdx.x * Index{blockDim.x} + threadIdx.x, stride_ = Index{gridDim.x} * blockDim.x; \
       e < (count); e += stride_)

__global__ void gather_rows_kernel(const float* __restrict__ src, Index cols, const std::int32_t* __restrict__ rows,
                                   Index count, float* __restrict__ dst) {
  GRID_FOR_EACH(e, count) dst[e] = src[rows[e / cols] * cols + e % cols];
}

__global__ void gather_labels_kernel(const std::int32_t* __restrict__ src, const std::int32_t* __restrict__ rows,
                                     Index count, std::int32_t* __restrict__ dst) {
  GRID_FOR_EACH(e, count) dst[e] = src[rows[e]];
}

__global__ void bias_activation_kernel(float* __restrict__ z, const float* __restrict__ b, Index n, Index count,
                                       bool hidden) {
  GRID_FOR_EACH(e, count) z[e] = mm::bias_activation(z[e], b[e % n], hidden);
}

// One thread a row: its term of the loss, and its row of dZ_L, as
// accumulate_loss and loss_gradient compute them (softmax_rows' exps and
// sum are the same bits as the loss's, so one pass makes both).
__global__ void xent_rows_kernel(NumericMode mode, const float* __restrict__ z, const std::int32_t* __restrict__ labels,
                                 Index rows, int n, float divisor, float* __restrict__ terms, float* __restrict__ dz) {
  GRID_FOR_EACH(i, rows) {
    const float* zr = z + i * n;
    float* g = dz + i * n;
    float m;
    const float s = mm::shifted_exps(mode, zr, n, g, &m);
    terms[i] = mm::xent_term(mode, s, m, zr[labels[i]]);
    for (int j = 0; j < n; ++j) g[j] = mm::xent_gradient(exact_div(g[j], s), j == labels[i] ? 1.0f : 0.0f, divisor);
  }
}

// The loss: one thread, terms summed from +0 in order, then divided.
__global__ void xent_loss_kernel(const float* __restrict__ terms, Index rows, float divisor, float* loss) {
  float acc = 0.0f;
  for (Index i = 0; i < rows; ++i) acc = exact_add(acc, terms[i]);
  *loss = exact_div(acc, divisor);
}

__global__ void mse_loss_kernel(const float* __restrict__ z, const float* __restrict__ t, Index count, float divisor,
                                float* loss) {
  float acc = 0.0f;
  for (Index e = 0; e < count; ++e) acc = exact_add(acc, mm::mse_term(z[e], t[e]));
  *loss = exact_div(acc, divisor);
}

__global__ void mse_gradient_kernel(const float* __restrict__ z, const float* __restrict__ t, Index count,
                                    float divisor, float* __restrict__ dz) {
  GRID_FOR_EACH(e, count) dz[e] = mm::mse_gradient(z[e], t[e], divisor);
}

// gb[j] = sum of dz[i][j] over i in row order, one thread a column.
__global__ void column_sums_kernel(const float* __restrict__ dz, Index rows, Index n, float* __restrict__ gb) {
  GRID_FOR_EACH(j, n) {
    float acc = 0.0f;
    for (Index i = 0; i < rows; ++i) acc = exact_add(acc, dz[i * n + j]);
    gb[j] = acc;
  }
}

__global__ void relu_gradient_kernel(const float* __restrict__ h, float* __restrict__ d, Index count) {
  GRID_FOR_EACH(e, count) d[e] = mm::relu_gradient(h[e], d[e]);
}

// dst (cols x rows) = src^T (rows x cols), through a shared tile so both
// sides are read and written along rows.
constexpr int kTransposeTile = 32;
constexpr int kTransposeRowsPerPass = 8;
__global__ void transpose_kernel(const float* __restrict__ src, int rows, int cols, float* __restrict__ dst) {
  __shared__ float tile[kTransposeTile][kTransposeTile + 1];
  const Index r0 = Index{blockIdx.y} * kTransposeTile, c0 = Index{blockIdx.x} * kTransposeTile;
  for (int dy = threadIdx.y; dy < kTransposeTile; dy += kTransposeRowsPerPass) {
    const Index r = r0 + dy, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[dy][threadIdx.x] = src[r * cols + c];
  }
  __syncthreads();
  for (int dy = threadIdx.y; dy < kTransposeTile; dy += kTransposeRowsPerPass) {
    const Index c = c0 + dy, r = r0 + threadIdx.x;
    if (r < rows && c < cols) dst[c * rows + r] = tile[threadIdx.x][dy];
  }
}

__global__ void weight_decay_kernel(const float* __restrict__ p, float* __restrict__ g, Index count, float decay) {
  GRID_FOR_EACH(e, count) g[e] = mm::weight_decayed(g[e], p[e], decay);
}

__global__ void sgd_kernel(float* __restrict__ p, const float* __restrict__ g, Index count, float lr) {
  GRID_FOR_EACH(e, count) p[e] = mm::sgd_update(p[e], g[e], lr);
}

__global__ void momentum_kernel(float* __restrict__ p, float* __restrict__ u, const float* __restrict__ g,
                                Index count, float lr, float mu) {
  GRID_FOR_EACH(e, count) mm::momentum_update(lr, mu, &p[e], &u[e], g[e]);
}

__global__ void adam_kernel(float* __restrict__ p, float* __restrict__ m, float* __restrict__ v,
                            const float* __restrict__ g, Index count, mm::AdamStep a) {
  GRID_FOR_EACH(e, count) mm::adam_update(a, &p[e], &m[e], &v[e], g[e]);
}

}  // namespace

// Parameters, gradients and slots each in one buffer, tensors in state
// order (W_0, b_0, W_1, ...) at offset[k], so an optimizer step is one
// launch over all of them.
struct MlpCudaState {
  MlpCudaSetup setup;
  Stream stream;
  std::vector<Index> offset;  // of tensor k; offset.back() = the total
  CudaMemory params, grads, slot0, slot1;  // slot0: velocity or adam's m; slot1: adam's v
  CudaMemory data_x, data_y;               // the dataset's x, and its labels or targets
  CudaMemory rows, batch_x, batch_y;       // this step's rows and their x, labels or targets
  std::vector<CudaMemory> acts;            // acts[l] = Z_l (or H_l) of layer l = 1..L, batch x layers[l]
  CudaMemory dz, dh, transposed, terms, loss;

  float* tensor(const CudaMemory& m, std::size_t k) const { return m.as<float>() + offset[k]; }
};

namespace {

template <typename F>
void launch_elementwise(MlpCudaState* s, Index count, F&& launch) {
  if (count == 0) return;
  launch(grid_stride_blocks(static_cast<std::size_t>(count)), kBlockThreads, s->stream.get());
  GRID_CUDA_CHECK(cudaGetLastError());
}

void transpose(MlpCudaState* s, const float* src, int rows, int cols, float* dst) {
  const dim3 blocks((cols + kTransposeTile - 1) / kTransposeTile, (rows + kTransposeTile - 1) / kTransposeTile);
  transpose_kernel<<<blocks, dim3(kTransposeTile, kTransposeRowsPerPass), 0, s->stream.get()>>>(src, rows, cols, dst);
  GRID_CUDA_CHECK(cudaGetLastError());
}

// GemmEngine's three products (gemm.h), on the device.
void gemm_nn(MlpCudaState* s, int m, int n, int k, const float* A, const float* B, float* C) {
  if (s->setup.mode == NumericMode::fast)
    fast_gemm_cuda(false, false, m, n, k, A, k, B, n, C, n, s->stream.get());
  else
    exact_gemm_cuda(m, n, k, A, k, B, n, C, n, s->stream.get());
}

// C (m x n) = A^T B with A stored k x m: exact mode multiplies an explicit
// transposed copy, as the DEFINITION says.
void gemm_tn(MlpCudaState* s, int m, int n, int k, const float* A, const float* B, float* C) {
  if (s->setup.mode == NumericMode::fast) return fast_gemm_cuda(true, false, m, n, k, A, m, B, n, C, n, s->stream.get());
  transpose(s, A, k, m, s->transposed.as<float>());
  gemm_nn(s, m, n, k, s->transposed.as<float>(), B, C);
}

// C (m x n) = A B^T with B stored n x k.
void gemm_nt(MlpCudaState* s, int m, int n, int k, const float* A, const float* B, float* C) {
  if (s->setup.mode == NumericMode::fast) return fast_gemm_cuda(false, true, m, n, k, A, k, B, k, C, n, s->stream.get());
  transpose(s, B, n, k, s->transposed.as<float>());
  gemm_nn(s, m, n, k, A, s->transposed.as<float>(), C);
}

CudaMemory floats(Index count) { return CudaMemory(static_cast<std::size_t>(count) * sizeof(float)); }

void to_device(MlpCudaState* s, void* dst, const void* src, std::size_t bytes) {
  if (bytes) GRID_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s->stream.get()));
}

}  // namespace

MlpCudaState* mlp_cuda_create(const MlpCudaSetup& setup) {
  auto s = std::make_unique<MlpCudaState>();
  s->setup = setup;
  const std::vector<int>& layers = setup.layers;
  const int L = static_cast<int>(layers.size()) - 1, B = setup.batch;
  const Dataset& d = *setup.data;
  s->offset.push_back(0);
  Index widest = 0, transposed = 0;
  for (int l = 0; l < L; ++l) {
    s->offset.push_back(s->offset.back() + Index{layers[l]} * layers[l + 1]);
    s->offset.push_back(s->offset.back() + layers[l + 1]);
    transposed = std::max({transposed, Index{layers[l]} * layers[l + 1], Index{B} * layers[l]});
  }
  for (int w : layers) widest = std::max<Index>(widest, w);
  const Index total = s->offset.back();
  s->params = floats(total);
  s->grads = floats(total);
  if (setup.optimizer != MlpOptimizer::sgd) s->slot0 = floats(total);
  if (setup.optimizer == MlpOptimizer::adam) s->slot1 = floats(total);

  const bool xent = setup.loss == MlpLoss::softmax_xent;
  s->data_x = floats(static_cast<Index>(d.x.size()));
  s->data_y = xent ? CudaMemory(d.labels.size() * sizeof(std::int32_t)) : floats(static_cast<Index>(d.targets.size()));
  to_device(s.get(), s->data_x.get(), d.x.data(), d.x.size() * sizeof(float));
  if (xent) to_device(s.get(), s->data_y.get(), d.labels.data(), d.labels.size() * sizeof(std::int32_t));
  else to_device(s.get(), s->data_y.get(), d.targets.data(), d.targets.size() * sizeof(float));

  s->rows = CudaMemory(static_cast<std::size_t>(B) * sizeof(std::int32_t));
  s->batch_x = floats(Index{B} * d.features);
  s->batch_y = xent ? CudaMemory(static_cast<std::size_t>(B) * sizeof(std::int32_t)) : floats(Index{B} * d.outputs);
  s->acts.resize(L + 1);
  for (int l = 1; l <= L; ++l) s->acts[l] = floats(Index{B} * layers[l]);
  s->dz = floats(Index{B} * widest);
  s->dh = floats(Index{B} * widest);
  s->transposed = floats(transposed);
  s->terms = floats(B);
  s->loss = floats(1);
  GRID_CUDA_CHECK(cudaStreamSynchronize(s->stream.get()));  // the host's dataset may go once this returns
  return s.release();
}

void mlp_cuda_destroy(MlpCudaState* s) { delete s; }

void mlp_cuda_upload(MlpCudaState* s, const std::vector<std::vector<float>>& params,
                     const std::vector<std::vector<float>>& slots) {
  const bool adam = s->setup.optimizer == MlpOptimizer::adam;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const std::size_t bytes = params[k].size() * sizeof(float);
    to_device(s, s->tensor(s->params, k), params[k].data(), bytes);
    if (s->setup.optimizer == MlpOptimizer::momentum) to_device(s, s->tensor(s->slot0, k), slots[k].data(), bytes);
    if (adam) {
      to_device(s, s->tensor(s->slot0, k), slots[2 * k].data(), bytes);
      to_device(s, s->tensor(s->slot1, k), slots[2 * k + 1].data(), bytes);
    }
  }
  GRID_CUDA_CHECK(cudaStreamSynchronize(s->stream.get()));  // pageable sources: the caller may change them next
}

void mlp_cuda_download(MlpCudaState* s, std::vector<std::vector<float>>* params,
                       std::vector<std::vector<float>>* slots) {
  auto from = [&](const CudaMemory& m, std::size_t k, std::vector<float>* dst) {
    GRID_CUDA_CHECK(cudaMemcpyAsync(dst->data(), s->tensor(m, k), dst->size() * sizeof(float), cudaMemcpyDeviceToHost,
                                    s->stream.get()));
  };
  for (std::size_t k = 0; k < params->size(); ++k) {
    from(s->params, k, &(*params)[k]);
    if (s->setup.optimizer == MlpOptimizer::momentum) from(s->slot0, k, &(*slots)[k]);
    if (s->setup.optimizer == MlpOptimizer::adam) {
      from(s->slot0, k, &(*slots)[2 * k]);
      from(s->slot1, k, &(*slots)[2 * k + 1]);
    }
  }
  GRID_CUDA_CHECK(cudaStreamSynchronize(s->stream.get()));
}

void mlp_cuda_step(MlpCudaState* s, const MlpCudaStep& step) {
  const MlpCudaSetup& c = s->setup;
  const std::vector<int>& layers = c.layers;
  const int L = static_cast<int>(layers.size()) - 1, B = c.batch;
  const int F = layers.front(), n = layers.back();
  const bool xent = c.loss == MlpLoss::softmax_xent;
  cudaStream_t st = s->stream.get();
  // Pageable source: copied out before this returns, so the caller may
  // reuse it at once.
  to_device(s, s->rows.get(), step.rows, static_cast<std::size_t>(B) * sizeof(std::int32_t));
  const std::int32_t* rows = s->rows.as<std::int32_t>();

  launch_elementwise(s, Index{B} * F, [&](int blocks, int threads, cudaStream_t t) {
    gather_rows_kernel<<<blocks, threads, 0, t>>>(s->data_x.as<float>(), F, rows, Index{B} * F, s->batch_x.as<float>());
  });
  if (xent)
    launch_elementwise(s, B, [&](int blocks, int threads, cudaStream_t t) {
      gather_labels_kernel<<<blocks, threads, 0, t>>>(s->data_y.as<std::int32_t>(), rows, B,
                                                      s->batch_y.as<std::int32_t>());
    });
  else
    launch_elementwise(s, Index{B} * n, [&](int blocks, int threads, cudaStream_t t) {
      gather_rows_kernel<<<blocks, threads, 0, t>>>(s->data_y.as<float>(), n, rows, Index{B} * n,
                                                    s->batch_y.as<float>());
    });

  // Forward (mlp::forward).
  const float* in = s->batch_x.as<float>();
  for (int l = 0; l < L; ++l) {
    const int n_in = layers[l], n_out = layers[l + 1];
    float* z = s->acts[l + 1].as<float>();
    gemm_nn(s, B, n_out, n_in, in, s->tensor(s->params, 2 * l), z);
    const bool hidden = l + 1 < L;
    const float* b = s->tensor(s->params, 2 * l + 1);
    launch_elementwise(s, Index{B} * n_out, [&](int blocks, int threads, cudaStream_t t) {
      bias_activation_kernel<<<blocks, threads, 0, t>>>(z, b, n_out, Index{B} * n_out, hidden);
    });
    in = z;
  }

  // Loss and dZ_L (mlp::accumulate_loss, mlp::loss_gradient).
  const float* z = s->acts[L].as<float>();
  float* dz = s->dz.as<float>();
  if (xent) {
    launch_elementwise(s, B, [&](int blocks, int threads, cudaStream_t t) {
      xent_rows_kernel<<<blocks, threads, 0, t>>>(c.mode, z, s->batch_y.as<std::int32_t>(), B, n, step.loss_divisor,
                                                  s->terms.as<float>(), dz);
    });
    xent_loss_kernel<<<1, 1, 0, st>>>(s->terms.as<float>(), B, step.loss_divisor, s->loss.as<float>());
  } else {
    mse_loss_kernel<<<1, 1, 0, st>>>(z, s->batch_y.as<float>(), Index{B} * n, step.loss_divisor, s->loss.as<float>());
    launch_elementwise(s, Index{B} * n, [&](int blocks, int threads, cudaStream_t t) {
      mse_gradient_kernel<<<blocks, threads, 0, t>>>(z, s->batch_y.as<float>(), Index{B} * n, step.loss_divisor, dz);
    });
  }
  GRID_CUDA_CHECK(cudaGetLastError());

  // Backward (mlp::backward).
  float* dh = s->dh.as<float>();
  for (int l = L - 1; l >= 0; --l) {
    const int n_in = layers[l], n_out = layers[l + 1];
    const float* h = l == 0 ? s->batch_x.as<float>() : s->acts[l].as<float>();
    gemm_tn(s, n_in, n_out, B, h, dz, s->tensor(s->grads, 2 * l));
    float* gb = s->tensor(s->grads, 2 * l + 1);
    launch_elementwise(s, n_out, [&](int blocks, int threads, cudaStream_t t) {
      column_sums_kernel<<<blocks, threads, 0, t>>>(dz, B, n_out, gb);
    });
    if (l == 0) break;
    gemm_nt(s, B, n_in, n_out, dz, s->tensor(s->params, 2 * l), dh);
    launch_elementwise(s, Index{B} * n_in, [&](int blocks, int threads, cudaStream_t t) {
      relu_gradient_kernel<<<blocks, threads, 0, t>>>(h, dh, Index{B} * n_in);
    });
    std::swap(dz, dh);
  }

  // Update (mlp::optimizer_update), over all tensors at once.
  const Index total = s->offset.back();
  float *p = s->params.as<float>(), *g = s->grads.as<float>();
  if (c.weight_decay != 0.0f)
    launch_elementwise(s, total, [&](int blocks, int threads, cudaStream_t t) {
      weight_decay_kernel<<<blocks, threads, 0, t>>>(p, g, total, c.weight_decay);
    });
  launch_elementwise(s, total, [&](int blocks, int threads, cudaStream_t t) {
    switch (c.optimizer) {
      case MlpOptimizer::sgd: sgd_kernel<<<blocks, threads, 0, t>>>(p, g, total, c.lr); break;
      case MlpOptimizer::momentum:
        momentum_kernel<<<blocks, threads, 0, t>>>(p, s->slot0.as<float>(), g, total, c.lr, c.momentum);
        break;
      case MlpOptimizer::adam:
        adam_kernel<<<blocks, threads, 0, t>>>(p, s->slot0.as<float>(), s->slot1.as<float>(), g, total, step.adam);
        break;
    }
  });
}

float mlp_cuda_loss(MlpCudaState* s) {
  float loss = 0;
  GRID_CUDA_CHECK(cudaMemcpyAsync(&loss, s->loss.get(), sizeof loss, cudaMemcpyDeviceToHost, s->stream.get()));
  GRID_CUDA_CHECK(cudaStreamSynchronize(s->stream.get()));
  return loss;
}

}  // namespace grid
