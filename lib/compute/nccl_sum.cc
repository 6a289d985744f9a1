#include "compute/nccl_sum.h"

#include "compute/gpu_bench_cuda.h"

namespace grid {

int rank_cuda_device(int gpus) { return gpus > 0 ? rank_env().local_rank % gpus : 0; }

bool gpu_a_rank(RankWorld& world, int gpus) {
  float sharing = rank_env().local_rank >= gpus ? 1.0f : 0.0f;
  world.allreduce_sum(&sharing, 1);
  return sharing == 0.0f;
}

std::string shared_nccl_unique_id(RankWorld& world) {
  std::string id = world.rank() == 0 ? cuda_nccl_unique_id() : std::string();
  world.broadcast(&id);
  return id;
}

NcclSum::NcclSum(RankWorld& world, int dev)
    : state_(nccl_sum_create(shared_nccl_unique_id(world), world.rank(), world.size(), dev)) {}

NcclSum::~NcclSum() { nccl_sum_destroy(state_); }

void NcclSum::operator()(float* data, size_t n) { nccl_sum_host(state_, data, n); }

}  // namespace grid
