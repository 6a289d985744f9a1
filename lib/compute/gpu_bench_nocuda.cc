// gpu_bench_cuda.h in a build without CUDA: every call says so, and the
// tools fall back to the CPU before ever getting here.
#include "compute/gpu_bench_cuda.h"

#if !GRID_CUDA

namespace grid {
namespace {

[[noreturn]] void no_cuda(const char* what) {
  throw DeviceError(std::string(what) + ": this build has no CUDA backend (built with CUDA=0)");
}

}  // namespace

bool cuda_gemm_supported(int, CudaGemm) { return false; }
CudaGemmRun cuda_gemm_run(int, CudaGemm, int, int, int, const float*, const float*,
                          const std::vector<std::pair<int, int>>&, int, int) {
  no_cuda("cuda_gemm_run");
}
double cuda_exact_gemm_timed(int, int, int, int, const float*, const float*, float*) { no_cuda("cuda_exact_gemm_timed"); }
std::vector<double> cuda_time_copy(int, size_t, int, int) { no_cuda("cuda_time_copy"); }
std::vector<double> cuda_time_triad(int, size_t, int, int) { no_cuda("cuda_time_triad"); }
std::vector<double> cuda_time_h2d(int, size_t, int, int) { no_cuda("cuda_time_h2d"); }
std::vector<double> cuda_time_d2h(int, size_t, int, int) { no_cuda("cuda_time_d2h"); }
NcclRun cuda_nccl_allreduce(size_t, int, int) { no_cuda("cuda_nccl_allreduce"); }
CudaFacts cuda_facts(int) { no_cuda("cuda_facts"); }
std::string cuda_nccl_unique_id() { no_cuda("cuda_nccl_unique_id"); }
NcclRun cuda_nccl_allreduce_rank(const std::string&, int, int, int, size_t, int, int) {
  no_cuda("cuda_nccl_allreduce_rank");
}

}  // namespace grid

#endif
