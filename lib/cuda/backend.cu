// The table libgridutils-cuda.so hands the tools (cuda_backend.h): the
// kernels of this folder, behind the one exported symbol.
#include "compute/cuda_backend.h"

extern "C" __attribute__((visibility("default"))) const grid::CudaBackend* grid_cuda_backend() {
  static const grid::CudaBackend table = {
      grid::kCudaBackendAbi,
      sizeof(grid::CudaBackend),
      grid::kCudaBackendBuild,
      &grid::cuda_device_count,
      &grid::exact_gemm_cuda,
      &grid::exact_gemm_cuda_host,
      &grid::fast_gemm_cuda_host,
      &grid::exact_unary_cuda_host,
      &grid::exact_binary_cuda_host,
      &grid::cuda_gemm_supported,
      &grid::cuda_gemm_run,
      &grid::cuda_exact_gemm_timed,
      &grid::cuda_time_copy,
      &grid::cuda_time_triad,
      &grid::cuda_time_h2d,
      &grid::cuda_time_d2h,
      &grid::cuda_nccl_allreduce,
      &grid::cuda_facts,
      &grid::mlp_cuda_create,
      &grid::mlp_cuda_destroy,
      &grid::mlp_cuda_upload,
      &grid::mlp_cuda_download,
      &grid::mlp_cuda_step,
      &grid::mlp_cuda_loss,
      &grid::cuda_nccl_unique_id,
      &grid::cuda_nccl_allreduce_rank,
      &grid::cuda_use_device,
      &grid::nccl_sum_create,
      &grid::nccl_sum_destroy,
      &grid::nccl_sum_host,
  };
  return &table;
}
