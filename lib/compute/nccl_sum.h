// Fast mode's sum across ranks on GPUs: NCCL's all-reduce, one rank a GPU,
// its communicator bootstrapped over MPI (doc/design.md, "Training across
// ranks").
#pragma once

#include <cstddef>
#include <string>

#include "compute/nccl_cuda.h"
#include "core/rank_world.h"

namespace grid {

// The GPU this rank takes: its rank among the machine's ranks (rank_env()'s
// local_rank), modulo the `gpus` there are (0 when there are none).
int rank_cuda_device(int gpus);

// Whether every rank of `world` has a GPU of its own (its local rank below
// its machine's `gpus`): NCCL refuses two ranks on one GPU. Collective: the
// ranks agree over MPI.
bool gpu_a_rank(RankWorld& world, int gpus);

// Rank 0's NCCL unique id (cuda_nccl_unique_id()) on every rank, broadcast
// over MPI: how the ranks' communicator is bootstrapped. Collective.
std::string shared_nccl_unique_id(RankWorld& world);

class NcclSum {
 public:
  // Collective, on every rank of `world` at once: rank 0 makes NCCL's
  // unique id and broadcasts it over MPI; each rank joins on device `dev`,
  // which stays current. Throws DeviceError when NCCL fails.
  NcclSum(RankWorld& world, int dev);
  ~NcclSum();
  NcclSum(const NcclSum&) = delete;
  NcclSum& operator=(const NcclSum&) = delete;

  // data[0..n) summed over the ranks in place (host memory), in NCCL's order.
  void operator()(float* data, size_t n);

 private:
  NcclSumState* state_;
};

}  // namespace grid
