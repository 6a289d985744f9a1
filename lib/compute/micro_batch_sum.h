// The sum of micro-batch partial gradients across ranks (mlp.h's
// DEFINITION, "Micro-batches"; doc/design.md, "Training across ranks").
#pragma once

#include <cstddef>
#include <vector>

#include "core/rank_world.h"

namespace grid {

// Sums partial vectors of n floats, each rank holding `local` of them back
// to back in `partials`: rank r has micro-batches r * local .. (r + 1) *
// local - 1 of M = local * size. Every rank gets the sum in *out.
//
// exact: out[e] = p_0[e] + p_1[e] + ... + p_{M-1}[e], left to right, the
// same bits at every size. No MPI_Allreduce (its order is MPI's): each rank
// gets one slice of every partial (MPI_Alltoallv), sums its slice in
// micro-batch order, and the summed slices go to every rank
// (MPI_Allgatherv). Each rank sends and receives about (local + 1) * n
// floats, against about 2 * n for an all-reduce.
// fast: each rank adds its own partials, then MPI_Allreduce.
//
// The buffers are kept from call to call, so a step allocates nothing
// once warm. Throws Error(Exit::data) at .train.micro_batches when
// local * n passes MPI's int counts.
class MicroBatchSum {
 public:
  void operator()(RankWorld& world, bool exact, const std::vector<float>& partials, int local, size_t n,
                  std::vector<float>* out);

 private:
  std::vector<float> send_, recv_;
  std::vector<int> send_counts_, send_displs_, recv_counts_, recv_displs_, counts_, displs_;
};

}  // namespace grid
