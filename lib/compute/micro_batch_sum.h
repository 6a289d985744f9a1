// The sum of micro-batch partial gradients across ranks (mlp.h's
// DEFINITION, "Micro-batches"; doc/design.md, "Training across ranks").
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "compute/nccl_sum.h"
#include "core/rank_world.h"

namespace grid {

// Sums partial vectors of n floats, each rank holding `local` of them back
// to back in `partials`: rank r has micro-batches r * local .. (r + 1) *
// local - 1 of M = local * size. Every rank gets the sum in *out.
//
// exact: out[e] = p_0[e] + p_1[e] + ... + p_{M-1}[e], left to right, the
// same bits at every size. No MPI_Allreduce (its order is MPI's): each rank
// owns one slice of the values and gets, in one message from every other
// rank, that slice of its partials (MPI_Alltoallw, nothing packed); it sums
// the slice in micro-batch order in its place in *out, and the summed
// slices go to every rank (MPI_Allgatherv in place). Rank 0's partials come
// first in every sum, so it adds them up before sending: its message is one
// slice. Each rank sends about (local + 1) * n floats (rank 0: 2 * n),
// against about 2 * n for an all-reduce.
// fast: each rank adds its own partials, then MPI_Allreduce, or NCCL's
// all-reduce on the GPUs after use_nccl().
//
// The buffers are kept from call to call, so a step allocates nothing
// once warm. Throws Error(Exit::data) at .train.micro_batches when
// local * n passes MPI's int counts.
// out[e] = terms[0][e] + terms[1][e] + ..., left to right, for e < len.
void sum_in_order(const std::vector<const float*>& terms, size_t len, float* out);

class MicroBatchSum {
 public:
  void operator()(RankWorld& world, bool exact, const std::vector<float>& partials, int local, size_t n,
                  std::vector<float>* out);
  // Fast mode sums across ranks with NCCL on GPU `dev` from now on.
  // Collective: every rank of `world` calls it at once (NcclSum).
  void use_nccl(RankWorld& world, int dev);

 private:
  std::unique_ptr<NcclSum> nccl_;
  std::vector<float> prefix_, recv_;
  std::vector<const float*> terms_;
  std::vector<RankWorld::Runs> to_, from_;
  std::vector<int> counts_, displs_;
};

}  // namespace grid
