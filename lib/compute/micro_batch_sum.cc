#include "compute/micro_batch_sum.h"

#include <algorithm>
#include <climits>
#include <string>

#include "compute/exact_math.h"
#include "core/error.h"

namespace grid {

void sum_in_order(const std::vector<const float*>& terms, size_t len, float* out) {
  // The running sums of a block stay in L1 while each term streams past
  // once: one pass over memory, not one a term.
  constexpr size_t kBlock = 2048;  // 8 KiB of sums
  for (size_t at = 0; at < len; at += kBlock) {
    const size_t k = std::min(kBlock, len - at);
    float* o = out + at;
    std::copy_n(terms[0] + at, k, o);
    for (size_t t = 1; t < terms.size(); ++t) {
      const float* p = terms[t] + at;
      for (size_t e = 0; e < k; ++e) o[e] = exact_add(o[e], p[e]);
    }
  }
}

void MicroBatchSum::use_nccl(RankWorld& world, int dev) { nccl_ = std::make_unique<NcclSum>(world, dev); }

void MicroBatchSum::operator()(RankWorld& world, bool exact, const std::vector<float>& partials, int local, size_t n,
                               std::vector<float>* out) {
  const int R = world.size();
  // The largest count: a rank's receive buffer, R * local slices of at most n / R + 1.
  const double largest = exact ? static_cast<double>(local) * (static_cast<double>(n) + R) : static_cast<double>(n);
  if (largest > INT_MAX)
    throw data_error(std::to_string(local) + " micro-batches a rank of " + std::to_string(n) +
                         " values each pass MPI's counts (2^31 - 1 values)",
                     ".train.micro_batches");
  out->resize(n);
  // Appends this rank's partials, from `at` on, to terms_.
  auto own = [&](size_t at) {
    for (int m = 0; m < local; ++m) terms_.push_back(partials.data() + m * n + at);
  };
  terms_.clear();
  if (!exact) {
    own(0);
    sum_in_order(terms_, n, out->data());
    if (nccl_)
      (*nccl_)(out->data(), n);
    else
      world.allreduce_sum(out->data(), static_cast<int>(n));
    return;
  }
  // Rank q sums values [bound(q), bound(q + 1)) of every partial.
  auto bound = [&](int q) { return n * static_cast<size_t>(q) / static_cast<size_t>(R); };
  const int me = world.rank();
  const size_t b = bound(me);
  const int mine = static_cast<int>(bound(me + 1) - b);
  // Rank 0's micro-batches come first in every element's sum, so rank 0
  // adds them up before sending: one slice to each rank, not `local`.
  const float* send = partials.data();
  if (me == 0 && local > 1) {
    prefix_.resize(n);
    for (int q = 1; q < R; ++q) {
      terms_.clear();
      own(bound(q));
      sum_in_order(terms_, bound(q + 1) - bound(q), prefix_.data() + bound(q));
    }
    send = prefix_.data();
  }
  // Each rank's slices of other ranks' partials, as one message a rank,
  // land in recv_ in micro-batch order; its own are read where they are.
  to_.assign(R, {});
  from_.assign(R, {});
  size_t got = 0;
  for (int q = 0; q < R; ++q) {
    if (q == me) continue;
    const int len = static_cast<int>(bound(q + 1) - bound(q));
    const int sent = me == 0 ? 1 : local, received = q == 0 ? 1 : local;
    for (int m = 0; m < sent; ++m) to_[q].push_back({m * n + bound(q), len});
    for (int m = 0; m < received; ++m, got += mine) from_[q].push_back({got, mine});
  }
  recv_.resize(got);
  world.alltoall_runs(send, to_, recv_.data(), from_);
  terms_.clear();
  for (int q = 0; q < R; ++q) {
    if (q == me) own(b);
    for (const RankWorld::Run& r : from_[q]) terms_.push_back(recv_.data() + r.at);
  }
  // Summed into its place in *out, from which it goes to every rank.
  sum_in_order(terms_, mine, out->data() + b);
  counts_.assign(R, 0);
  displs_.assign(R, 0);
  for (int q = 0; q < R; ++q) {
    counts_[q] = static_cast<int>(bound(q + 1) - bound(q));
    displs_[q] = static_cast<int>(bound(q));
  }
  world.allgatherv_in_place(out->data(), counts_, displs_);
}

}  // namespace grid
