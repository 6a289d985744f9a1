#include "compute/micro_batch_sum.h"

#include <algorithm>
#include <climits>
#include <string>

#include "compute/exact_math.h"
#include "core/error.h"

namespace grid {

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
  if (!exact) {
    std::copy_n(partials.begin(), n, out->begin());
    for (int m = 1; m < local; ++m)
      for (size_t e = 0; e < n; ++e) (*out)[e] += partials[m * n + e];
    world.allreduce_sum(out->data(), static_cast<int>(n));
    return;
  }
  // Rank q sums values [bound(q), bound(q + 1)) of every partial.
  auto bound = [&](int q) { return static_cast<int>(n * static_cast<size_t>(q) / static_cast<size_t>(R)); };
  const int me = world.rank();
  const int mine = bound(me + 1) - bound(me);
  // One partial a rank is already in slice order: it is sent as it is.
  const bool packed = local == 1;
  if (!packed) send_.resize(static_cast<size_t>(local) * n);
  send_counts_.assign(R, 0);
  send_displs_.assign(R, 0);
  recv_counts_.assign(R, local * mine);
  recv_displs_.assign(R, 0);
  counts_.assign(R, 0);
  displs_.assign(R, 0);
  size_t at = 0;
  for (int q = 0; q < R; ++q) {
    const int b = bound(q), len = bound(q + 1) - b;
    send_displs_[q] = static_cast<int>(at);
    send_counts_[q] = local * len;
    for (int m = 0; m < local && !packed; ++m, at += len)
      std::copy_n(partials.begin() + m * n + b, len, send_.begin() + at);
    if (packed) at += len;
    recv_displs_[q] = q * local * mine;
    counts_[q] = len;
    displs_[q] = b;
  }
  recv_.resize(static_cast<size_t>(R) * local * mine);
  world.alltoallv(packed ? partials.data() : send_.data(), send_counts_, send_displs_, recv_.data(), recv_counts_, recv_displs_);
  // recv_ holds rank 0's micro-batches, then rank 1's, ...: micro-batch order.
  // p_0 + p_1 + ...: the running sum stays in p_0's place.
  const int M = R * local;
  float* acc = recv_.data();
  for (int m = 1; m < M; ++m) {
    const float* p = recv_.data() + static_cast<size_t>(m) * mine;
    for (int e = 0; e < mine; ++e) acc[e] = exact_add(acc[e], p[e]);
  }
  world.allgatherv(acc, mine, out->data(), counts_, displs_);
}

}  // namespace grid
