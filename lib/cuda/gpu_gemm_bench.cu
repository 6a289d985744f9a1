// gpu_bench_cuda.h, GEMM half: device facts, which GEMM flavours a GPU runs,
// and the timed exact and cuBLASLt GEMMs. Times come from CUDA events
// (cuda_resources.h); bandwidth and NCCL are in gpu_memory_bench.cu.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cuda/cublas_check.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_resources.h"
#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/gpu_bench_cuda.h"

namespace grid {
namespace {

// cuBLAS's recommended workspace on Hopper; the heuristic may pick algorithms
// (split-K among them) that need up to this much.
constexpr size_t kLtWorkspaceBytes = size_t{32} << 20;
// Side of the problem cuda_gemm_supported asks the FP8 heuristic about:
// small, and aligned as FP8 kernels require.
constexpr int kFp8ProbeSide = 256;

// The value in the flavour's input type, rounded to nearest (even).
template <typename T>
__device__ T from_float(float x);
template <>
__device__ float from_float<float>(float x) {
  return x;
}
template <>
__device__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <>
__device__ __half from_float<__half>(float x) {
  return __float2half_rn(x);
}
// Saturates beyond +-448 (E4M3 has no infinity); our inputs never get there.
template <>
__device__ __nv_fp8_e4m3 from_float<__nv_fp8_e4m3>(float x) {
  return __nv_fp8_e4m3(x);
}

// out = in (rows x cols, row-major) converted to T; with `transpose`, out is
// its transpose (cols x rows, row-major). Not timed, so the strided reads of
// the transpose do not matter.
template <typename T>
__global__ void convert_kernel(const float* __restrict__ in, T* __restrict__ out, int rows, int cols,
                               bool transpose) {
  const size_t total = size_t(rows) * cols, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t o = size_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total; o += stride)
    out[o] = from_float<T>(in[transpose ? (o % rows) * cols + o / rows : o]);
}

template <typename T>
void launch_convert(const float* in, T* out, int rows, int cols, bool transpose, cudaStream_t s) {
  convert_kernel<T><<<grid_stride_blocks(size_t(rows) * cols), kBlockThreads, 0, s>>>(
      in, out, rows, cols, transpose);
  GRID_CUDA_CHECK(cudaGetLastError());
}

// out[s] = C[at[2s]][at[2s + 1]], C row-major with leading dimension ldc.
__global__ void gather_kernel(const float* __restrict__ C, int ldc, const int* __restrict__ at,
                              int count, float* __restrict__ out) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s < count) out[s] = C[size_t(at[2 * s]) * ldc + at[2 * s + 1]];
}

// Owns one cuBLASLt object and destroys it on any exit path.
template <typename H, cublasStatus_t (*Destroy)(H)>
class LtObject {
 public:
  LtObject() = default;
  ~LtObject() {
    if (h_) Destroy(h_);
  }
  LtObject(const LtObject&) = delete;
  LtObject& operator=(const LtObject&) = delete;
  H* put() { return &h_; }
  H get() const { return h_; }

 private:
  H h_ = nullptr;
};

using LtHandle = LtObject<cublasLtHandle_t, cublasLtDestroy>;
using LtDesc = LtObject<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = LtObject<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = LtObject<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

// How a cuBLASLt flavour stores its inputs and what it computes in. Output
// and scale type are always CUDA_R_32F.
struct LtFlavour {
  cudaDataType_t input;
  cublasComputeType_t compute;
};

LtFlavour lt_flavour(CudaGemm g) {
  switch (g) {
    // Plain 32F never down-converts inputs (TF32 needs the FAST_TF32 type).
    case CudaGemm::f32: return {CUDA_R_32F, CUBLAS_COMPUTE_32F};
    case CudaGemm::tf32: return {CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32};
    case CudaGemm::bf16: return {CUDA_R_16BF, CUBLAS_COMPUTE_32F};
    case CudaGemm::fp16: return {CUDA_R_16F, CUBLAS_COMPUTE_32F};
    // FP8 requires compute 32F and scale 32F; with D in 32F, C is 32F too.
    case CudaGemm::fp8: return {CUDA_R_8F_E4M3, CUBLAS_COMPUTE_32F};
    case CudaGemm::exact_f32: break;
  }
  throw std::logic_error("lt_flavour: exact_f32 does not run on cuBLASLt");
}

// One cuBLASLt matmul, row-major C (m x n) = A (m x k) * B (k x n), with its
// descriptors and the algorithm the heuristic picked (found == 0: none fits).
//
// Layout. cuBLASLt is column-major, and its FP8 kernels on Ada and Hopper
// accept only the "TN" form (cublasLtMatmul docs: "A must be transposed and
// B non-transposed"), i.e. both operands stored with k contiguous. A
// row-major matrix read column-major is its transpose, so we ask for
//     D (n x m, column-major, ld n) = op(LtA) * LtB = B^T * A^T = (A B)^T
// which, read row-major, is C itself. LtA is B transposed on the device into
// n x k row-major (= k x n column-major, ld k) with TRANSA = T; LtB is our A
// as uploaded (m x k row-major = k x m column-major, ld k) with TRANSB = N.
// Every flavour uses this one form, so one layout path serves all and the
// timed call is the same shape for each. CUBLASLT_ORDER_ROW layouts would
// skip the transpose of B, but the FP8 requirements are stated only for
// column-major TN, and the transpose happens before timing starts.
//
// FP8 scale pointers stay unset: the header documents NULL as scale 1.0,
// which is right for our inputs (within [-1, 1], far inside E4M3's +-448).
// CUBLASLT_MATMUL_DESC_FAST_ACCUM stays 0, so partial sums are promoted to
// FP32 as the accuracy check assumes.
struct LtPlan {
  LtHandle handle;
  LtDesc desc;
  LtLayout lt_a, lt_b, d;
  LtPreference preference;
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;

  LtPlan(CudaGemm g, int m, int n, int k) {
    const LtFlavour f = lt_flavour(g);
    GRID_CUBLAS_CHECK(cublasLtCreate(handle.put()));
    GRID_CUBLAS_CHECK(cublasLtMatmulDescCreate(desc.put(), f.compute, CUDA_R_32F));
    const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
    GRID_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.get(), CUBLASLT_MATMUL_DESC_TRANSA,
                                                     &trans_a, sizeof trans_a));
    GRID_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.get(), CUBLASLT_MATMUL_DESC_TRANSB,
                                                     &trans_b, sizeof trans_b));
    GRID_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(lt_a.put(), f.input, k, n, k));
    GRID_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(lt_b.put(), f.input, k, m, k));
    GRID_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(d.put(), CUDA_R_32F, n, m, n));
    GRID_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(preference.put()));
    const size_t workspace = kLtWorkspaceBytes;
    GRID_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
        preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof workspace));
    // NOT_SUPPORTED is how the heuristic says "no algorithm", not a failure.
    const cublasStatus_t status =
        cublasLtMatmulAlgoGetHeuristic(handle.get(), desc.get(), lt_a.get(), lt_b.get(), d.get(),
                                       d.get(), preference.get(), 1, &heuristic, &found);
    if (status == CUBLAS_STATUS_NOT_SUPPORTED) found = 0;
    else if (status != CUBLAS_STATUS_SUCCESS)
      cublas_fail(status, "cublasLtMatmulAlgoGetHeuristic", __FILE__, __LINE__);
  }
};

// A (m x k, as is) and B (k x n, transposed to n x k) in the flavour's input
// type on the device, laid out as LtPlan describes.
struct LtOperands {
  CudaMemory a, bt;
};

template <typename T>
LtOperands convert_operands(const CudaMemory& a32, const CudaMemory& b32, int m, int n, int k,
                            cudaStream_t stream) {
  LtOperands out{CudaMemory(size_t(m) * k * sizeof(T)), CudaMemory(size_t(k) * n * sizeof(T))};
  launch_convert(a32.as<float>(), out.a.as<T>(), m, k, false, stream);
  launch_convert(b32.as<float>(), out.bt.as<T>(), k, n, true, stream);
  return out;
}

LtOperands lt_operands(CudaGemm g, const CudaMemory& a32, const CudaMemory& b32, int m, int n,
                       int k, cudaStream_t stream) {
  switch (g) {
    case CudaGemm::f32:
    case CudaGemm::tf32: return convert_operands<float>(a32, b32, m, n, k, stream);
    case CudaGemm::bf16: return convert_operands<__nv_bfloat16>(a32, b32, m, n, k, stream);
    case CudaGemm::fp16: return convert_operands<__half>(a32, b32, m, n, k, stream);
    case CudaGemm::fp8: return convert_operands<__nv_fp8_e4m3>(a32, b32, m, n, k, stream);
    case CudaGemm::exact_f32: break;
  }
  throw std::logic_error("lt_operands: exact_f32 does not run on cuBLASLt");
}

CudaMemory upload(const float* host, size_t count, cudaStream_t stream) {
  CudaMemory d(count * sizeof(float));
  if (count > 0)
    GRID_CUDA_CHECK(cudaMemcpyAsync(d.get(), host, count * sizeof(float), cudaMemcpyHostToDevice,
                                    stream));
  return d;
}

// C[i][j] (row-major, ld ldc) for each requested (i, j), gathered on the
// device so that only the samples cross the bus.
std::vector<float> gather_samples(const float* C, int ldc, const std::vector<std::pair<int, int>>& at,
                                  cudaStream_t stream) {
  std::vector<float> out(at.size());
  if (at.empty()) return out;
  std::vector<int> flat;
  for (auto [i, j] : at) flat.insert(flat.end(), {i, j});
  CudaMemory d_at(flat.size() * sizeof(int)), d_out(out.size() * sizeof(float));
  GRID_CUDA_CHECK(cudaMemcpyAsync(d_at.get(), flat.data(), flat.size() * sizeof(int),
                                  cudaMemcpyHostToDevice, stream));
  const int count = static_cast<int>(at.size());
  gather_kernel<<<(count + kBlockThreads - 1) / kBlockThreads, kBlockThreads, 0, stream>>>(
      C, ldc, d_at.as<int>(), count, d_out.as<float>());
  GRID_CUDA_CHECK(cudaGetLastError());
  GRID_CUDA_CHECK(cudaMemcpyAsync(out.data(), d_out.get(), out.size() * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream));
  GRID_CUDA_CHECK(cudaStreamSynchronize(stream));
  return out;
}

int compute_capability(int dev) {
  int major = 0, minor = 0;
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
  return major * 10 + minor;
}

int attribute_mhz(cudaDeviceAttr attr, int dev) {
  int khz = 0;
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&khz, attr, dev));
  return khz / 1000;
}

}  // namespace

CudaFacts cuda_facts(int dev) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  cudaDeviceProp p{};
  GRID_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  CudaFacts f;
  f.name = p.name;
  f.cc_major = p.major;
  f.cc_minor = p.minor;
  f.sms = p.multiProcessorCount;
  f.memory_bytes = p.totalGlobalMem;
  GRID_CUDA_CHECK(cudaDriverGetVersion(&f.driver_version));
  GRID_CUDA_CHECK(cudaRuntimeGetVersion(&f.runtime_version));
  // Clocks are attributes, not cudaDeviceProp fields (removed in CUDA 13).
  f.sm_clock_mhz = attribute_mhz(cudaDevAttrClockRate, dev);
  f.memory_clock_mhz = attribute_mhz(cudaDevAttrMemoryClockRate, dev);
  GRID_CUDA_CHECK(cudaDeviceGetAttribute(&f.memory_bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev));
  return f;
}

bool cuda_gemm_supported(int dev, CudaGemm g) {
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  const int cc = compute_capability(dev);
  if (g != CudaGemm::fp8) return cc >= 80;
  if (cc < 89) return false;
  // Whether this cuBLASLt has an FP8 kernel for this GPU: ask its heuristic.
  return LtPlan(g, kFp8ProbeSide, kFp8ProbeSide, kFp8ProbeSide).found > 0;
}

CudaGemmRun cuda_gemm_run(int dev, CudaGemm g, int m, int n, int k, const float* A, const float* B,
                          const std::vector<std::pair<int, int>>& sample_at, int warmup, int reps) {
  const std::string what = std::string("cuda_gemm_run ") + cuda_gemm_name(g) + " " +
                           std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  if (m < 1 || n < 1 || k < 1) throw std::invalid_argument(what + ": dimensions must be positive");
  for (auto [i, j] : sample_at)
    if (i < 0 || i >= m || j < 0 || j >= n)
      throw std::invalid_argument(what + ": sample (" + std::to_string(i) + ", " +
                                  std::to_string(j) + ") is outside C");
  // 16-byte aligned leading dimensions, which FP8 kernels require: k bytes
  // for the E4M3 operands, n floats for D.
  if (g == CudaGemm::fp8 && (k % 16 != 0 || n % 4 != 0))
    throw DeviceError(what + ": FP8 needs k a multiple of 16 and n a multiple of 4");
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  Stream stream;
  const cudaStream_t s = stream.get();
  CudaMemory a32 = upload(A, size_t(m) * k, s), b32 = upload(B, size_t(k) * n, s);
  CudaMemory c(size_t(m) * n * sizeof(float));
  CudaGemmRun run;
  if (g == CudaGemm::exact_f32) {
    run.seconds = time_reps(s, warmup, reps, [&] {
      exact_gemm_cuda(m, n, k, a32.as<float>(), k, b32.as<float>(), n, c.as<float>(), n, s);
    });
  } else {
    LtPlan plan(g, m, n, k);
    if (plan.found == 0)
      throw DeviceError(what + ": cuBLASLt offers no algorithm for this type on device " +
                        std::to_string(dev));
    LtOperands ops = lt_operands(g, a32, b32, m, n, k, s);
    CudaMemory workspace(plan.heuristic.workspaceSize);
    const float alpha = 1.0f, beta = 0.0f;
    run.seconds = time_reps(s, warmup, reps, [&] {
      GRID_CUBLAS_CHECK(cublasLtMatmul(plan.handle.get(), plan.desc.get(), &alpha, ops.bt.get(),
                                       plan.lt_a.get(), ops.a.get(), plan.lt_b.get(), &beta, c.get(),
                                       plan.d.get(), c.get(), plan.d.get(), &plan.heuristic.algo,
                                       workspace.get(), plan.heuristic.workspaceSize, s));
    });
  }
  run.samples = gather_samples(c.as<float>(), n, sample_at, s);
  return run;
}

double cuda_exact_gemm_timed(int dev, int m, int n, int k, const float* A, const float* B, float* C) {
  const int lda = std::max(k, 1), ldb = std::max(n, 1);
  exact_gemm_check_args(m, n, k, lda, ldb, ldb);
  GRID_CUDA_CHECK(cudaSetDevice(dev));
  Stream stream;
  const cudaStream_t s = stream.get();
  CudaMemory a = upload(A, size_t(m) * k, s), b = upload(B, size_t(k) * n, s);
  CudaMemory c(size_t(m) * n * sizeof(float));
  // CUDA loads a kernel's module at its first launch (lazy loading), so one
  // 1x1x1 product on scratch memory goes first: the timed run is then the
  // GEMM alone, as it is on the verifier's side of the comparison.
  const float one[3] = {1.0f, 1.0f, 0.0f};
  CudaMemory scratch = upload(one, 3, s);
  exact_gemm_cuda(1, 1, 1, scratch.as<float>(), 1, scratch.as<float>() + 1, 1, scratch.as<float>() + 2, 1, s);
  GRID_CUDA_CHECK(cudaGetLastError());
  const double seconds = time_reps(s, 0, 1, [&] {
    exact_gemm_cuda(m, n, k, a.as<float>(), lda, b.as<float>(), ldb, c.as<float>(), ldb, s);
  })[0];
  if (size_t(m) * n > 0)
    GRID_CUDA_CHECK(cudaMemcpyAsync(C, c.get(), size_t(m) * n * sizeof(float),
                                    cudaMemcpyDeviceToHost, s));
  GRID_CUDA_CHECK(cudaStreamSynchronize(s));
  return seconds;
}

}  // namespace grid
