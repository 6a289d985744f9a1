#include <cstring>
#include <thread>
#include <vector>

#include "compute/device_cuda.h"
#include "measure/gpu_bench.h"
#include "compute/gpu_bench_cuda.h"
#include "measure/timing.h"
#include "core/parallel_for.h"
#include "compute/nccl_sum.h"
#include "core/rank_world.h"

namespace grid {
namespace {

int reps(const BenchContext& ctx) { return ctx.quick ? 3 : 10; }

// STREAM's triad a = b + s*c, split over threads in contiguous chunks.
std::vector<double> cpu_time_triad(size_t n, int threads, int warmup, int count) {
  std::vector<float> a(n), b(n), c(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<float>(i % 1024) * 0.5f;
    c[i] = static_cast<float>(i % 512) * 0.25f;
  }
  if (threads <= 0) threads = hardware_threads();
  auto triad = [&] {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        size_t lo = n * t / threads, hi = n * (t + 1) / threads;
        const float s = 3.0f;
        for (size_t i = lo; i < hi; ++i) a[i] = b[i] + s * c[i];
      });
    }
    for (auto& th : pool) th.join();
  };
  auto seconds = time_runs(triad, warmup, count);
  // A triad whose output nobody reads may be optimised away; read it.
  volatile float sink = a[n / 2];
  (void)sink;
  return seconds;
}

json gbps(const std::vector<double>& seconds, double bytes) { return spread_json(rate_spread(seconds, bytes / 1e9)); }

}  // namespace

json bench_memory(BenchContext& ctx) {
  if (ctx.device.backend == Backend::cpu) {
    // Arrays well past any last-level cache, so memory is what is timed.
    const size_t n = ctx.quick ? size_t{16} << 20 : size_t{64} << 20;
    ctx.progress("memory triad, 3 x " + std::to_string(n * 4 >> 20) + " MiB");
    auto seconds = cpu_time_triad(n, ctx.threads, 1, reps(ctx));
    return {{"triad_gbps", gbps(seconds, 3.0 * n * sizeof(float))}, {"array_bytes", n * sizeof(float)}};
  }
  const int dev = ctx.device.index;
  const size_t bytes = ctx.quick ? size_t{256} << 20 : size_t{1} << 30;
  ctx.progress("device memory copy and triad, " + std::to_string(bytes >> 20) + " MiB");
  auto copy = cuda_time_copy(dev, bytes, 2, reps(ctx));
  auto triad = cuda_time_triad(dev, bytes, 2, reps(ctx));
  // A copy reads and writes each byte; a triad reads two arrays, writes one.
  return {{"copy_gbps", gbps(copy, 2.0 * bytes)}, {"triad_gbps", gbps(triad, 3.0 * bytes)}, {"array_bytes", bytes}};
}

json bench_pcie(BenchContext& ctx) {
  if (ctx.device.backend == Backend::cpu) return {{"skipped", "no GPU in use"}};
  const int dev = ctx.device.index;
  const size_t bytes = ctx.quick ? size_t{64} << 20 : size_t{256} << 20;
  ctx.progress("host<->device copies, pinned, " + std::to_string(bytes >> 20) + " MiB");
  return {{"h2d_gbps", gbps(cuda_time_h2d(dev, bytes, 2, reps(ctx)), static_cast<double>(bytes))},
          {"d2h_gbps", gbps(cuda_time_d2h(dev, bytes, 2, reps(ctx)), static_cast<double>(bytes))},
          {"bytes", bytes},
          {"pinned", true}};
}

namespace {

// nccl-tests' sizes: 8 B .. 1 GiB, each a quarter of the next, both ends
// included; --quick takes bigger steps.
std::vector<size_t> nccl_sizes(const BenchContext& ctx) {
  const size_t factor = ctx.quick ? 64 : 4;
  std::vector<size_t> sweep;
  for (size_t bytes = size_t{1} << 30; bytes >= 8; bytes /= factor) sweep.insert(sweep.begin(), bytes);
  if (sweep.front() != 8) sweep.insert(sweep.begin(), 8);
  return sweep;
}

json nccl_size_json(size_t bytes, const std::vector<double>& seconds, int ranks, bool correct) {
  Spread alg = rate_spread(seconds, bytes / 1e9);
  // nccl-tests: busbw = algbw * 2(n-1)/n for all-reduce.
  const double bus = 2.0 * (ranks - 1) / ranks;
  Spread busbw{alg.min * bus, alg.median * bus, alg.max * bus};
  return {{"bytes", bytes}, {"algbw_gbps", spread_json(alg)}, {"busbw_gbps", spread_json(busbw)}, {"correct", correct}};
}

// Under mpirun or srun: one rank a GPU (the rank's local rank picks it), one
// communicator whose id rank 0 sends over MPI. A repetition's time is the
// mean over the ranks of each one's own, as nccl-tests reports it.
json bench_nccl_ranks(BenchContext& ctx, RankWorld& world) {
  const int gpus = cuda_device_count();
  const int dev = rank_cuda_device(gpus);
  const std::string id = shared_nccl_unique_id(world);
  json sizes = json::array();
  for (size_t bytes : nccl_sizes(ctx)) {
    ctx.progress("nccl all-reduce " + std::to_string(bytes) + " B on " + std::to_string(world.size()) + " ranks");
    NcclRun run = cuda_nccl_allreduce_rank(id, world.rank(), world.size(), dev, bytes, 5, ctx.quick ? 5 : 20);
    std::vector<float> sum(run.seconds.begin(), run.seconds.end());
    sum.push_back(run.correct ? 0.0f : 1.0f);  // how many ranks saw a wrong sum
    world.allreduce_sum(sum.data(), static_cast<int>(sum.size()));
    std::vector<double> mean;
    for (size_t i = 0; i + 1 < sum.size(); ++i) mean.push_back(sum[i] / world.size());
    const bool correct = sum.back() == 0.0f;
    if (!correct) ctx.faults.push_back("nccl all-reduce of " + std::to_string(bytes) + " B gave a wrong sum");
    sizes.push_back(nccl_size_json(bytes, mean, world.size(), correct));
  }
  return {{"ranks", world.size()}, {"launcher", world.from()}, {"op", "sum"}, {"dtype", "f32"}, {"sizes", sizes}};
}

}  // namespace

json bench_nccl(BenchContext& ctx) {
  if (ctx.device.backend == Backend::cpu) return {{"skipped", "no GPU in use"}};
  if (RankWorld& world = rank_world(); world.size() > 1) return bench_nccl_ranks(ctx, world);
  const int gpus = cuda_device_count();
  if (gpus < 2) return {{"skipped", "all-reduce needs two or more GPUs; this machine has " + std::to_string(gpus)}};
  json sizes = json::array();
  for (size_t bytes : nccl_sizes(ctx)) {
    ctx.progress("nccl all-reduce " + std::to_string(bytes) + " B on " + std::to_string(gpus) + " GPUs");
    NcclRun run = cuda_nccl_allreduce(bytes, 5, ctx.quick ? 5 : 20);
    if (!run.correct) ctx.faults.push_back("nccl all-reduce of " + std::to_string(bytes) + " B gave a wrong sum");
    sizes.push_back(nccl_size_json(bytes, run.seconds, gpus, run.correct));
  }
  return {{"gpus", gpus}, {"op", "sum"}, {"dtype", "f32"}, {"sizes", sizes}};
}

}  // namespace grid
