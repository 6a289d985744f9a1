// GPU GEMM ratios, measured side by side in one run on one card:
//   exact CUDA GEMM / cuBLAS FP32        (target >= 0.6 at 4096^3; cuBLASLt
//                                         with CUBLAS_COMPUTE_32F, no TF32:
//                                         scripts/gpu-check also sets
//                                         NVIDIA_TF32_OVERRIDE=0)
//   cuBLAS BF16 at 8192^3 / best BF16 of the sweep on this card
// The second target in the issue is against what PyTorch reaches on the
// same card; PyTorch is not available to a build here, so the table shows
// our BF16 number for that comparison to be made by hand.
// Without a GPU (or built with CUDA=0) it says so and exits 0.
#include <cstdio>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/gpu_bench_cuda.h"
#include "compute/seeded_matrix.h"
#include "measure/timing.h"

namespace {

double median_tflops(grid::CudaGemm g, int n, int reps) {
  auto A = grid::seeded_matrix(1, grid::kStreamA, n, n);
  auto B = grid::seeded_matrix(1, grid::kStreamB, n, n);
  grid::CudaGemmRun run = grid::cuda_gemm_run(0, g, n, n, n, A.data(), B.data(), {{0, 0}}, 2, reps);
  return grid::rate_spread(run.seconds, 2.0 * n * n * n / 1e12).median;
}

}  // namespace

int main() {
  if (std::string why; grid::cuda_device_count(&why) == 0) {
    std::printf("gpu_gemm: no usable CUDA GPU here (%s); nothing measured\n", why.c_str());
    return 0;
  }
  std::printf("%-8s %12s %12s %8s\n", "n", "exact TF/s", "cuBLAS f32", "ratio");
  double at4096 = 0;
  for (int n : {2048, 4096, 8192}) {
    double exact = median_tflops(grid::CudaGemm::exact_f32, n, 5);
    double fast = median_tflops(grid::CudaGemm::f32, n, 5);
    std::printf("%-8d %12.2f %12.2f %8.3f\n", n, exact, fast, exact / fast);
    if (n == 4096) at4096 = exact / fast;
  }
  std::printf("exact CUDA / cuBLAS FP32 (TF32 off) at 4096^3: %.3f (target >= 0.6)\n", at4096);
  double best = 0, at8192 = 0;
  for (int n : {4096, 6144, 8192, 12288}) {
    double t = median_tflops(grid::CudaGemm::bf16, n, 10);
    if (n == 8192) at8192 = t;
    best = t > best ? t : best;
  }
  std::printf("\nbf16 8192^3: %.1f TFLOP/s; best of sweep %.1f; ratio %.3f\n", at8192, best, at8192 / best);
  return 0;
}
