// Training across ranks on this machine, under mpirun (the bench starts
// `mpirun -np 2` on itself when run alone):
//   exact reduction / MPI_Allreduce of the same gradient bytes on the same
//   ranks, one micro-batch a rank and two        (target <= 1.5x)
//   exact 784-512-512-10 training, batch 128 in 4 micro-batches: steps/s of
//   2 ranks against 1 (printed; on 2 cores the ranks share them)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compute/micro_batch_sum.h"
#include "compute/mlp.h"
#include "compute/synthetic_data.h"
#include "core/rank_world.h"

namespace {

constexpr int kReduceRuns = 51;  // tens of ms each on 2 shared cores: seconds in all
constexpr int kSteps = 30;
constexpr int kRanks = 2;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

grid::MlpConfig bench_config() {
  grid::MlpConfig c;
  c.layers = {784, 512, 512, 10};
  c.optimizer = "sgd";
  c.batch = 128;
  c.micro_batches = 4;
  c.steps = kSteps + 1;
  c.seed = 7;
  return c;
}

double steps_per_s(grid::RankWorld* world) {
  grid::Dataset data = grid::synthetic_blobs(3, 4096, 784, 10);
  grid::GemmEngine e;
  e.threads = 1;  // one core a rank
  grid::Trainer t(bench_config(), data, e);
  t.set_ranks(world);
  t.step();  // warm-up
  const auto t0 = Clock::now();
  for (int i = 0; i < kSteps; ++i) t.step();
  return kSteps / seconds_since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

int ranked(grid::RankWorld& world) {
  size_t n = 1;  // the bench model's gradient values and the loss sum
  const std::vector<int>& l = bench_config().layers;
  for (size_t i = 0; i + 1 < l.size(); ++i) n += static_cast<size_t>(l[i]) * l[i + 1] + l[i + 1];
  grid::MicroBatchSum sum;
  std::vector<float> out, grads(n, 1.0f);
  std::vector<float> one(n, 0.5f), two(2 * n, 0.5f);
  // The three interleaved, run by run, and their medians: the machine's
  // other load then weighs on each alike. On a loaded machine a median
  // mostly times how long a rank waits for its peer to be scheduled, so
  // the fastest run of each is printed too: the reduction's own cost.
  std::vector<double> t[3];
  for (int i = -1; i < kReduceRuns; ++i) {  // run -1 warms up
    auto t0 = Clock::now();
    world.allreduce_sum(grads.data(), static_cast<int>(n));
    t[0].push_back(seconds_since(t0));
    t0 = Clock::now();
    sum(world, true, one, 1, n, &out);
    t[1].push_back(seconds_since(t0));
    t0 = Clock::now();
    sum(world, true, two, 2, n, &out);
    t[2].push_back(seconds_since(t0));
  }
  const double allreduce = median(t[0]), exact[2] = {median(t[1]), median(t[2])};
  const double allreduce_min = fastest(t[0]), exact_min[2] = {fastest(t[1]), fastest(t[2])};
  const double rate = steps_per_s(&world);
  if (world.rank() == 0) {
    std::printf("reduce %zu floats (%.1f MiB) on %d ranks\n", n, n * 4.0 / (1 << 20), world.size());
    std::printf("  %-34s %8.3f ms  (fastest %.3f ms)\n", "MPI_Allreduce", allreduce * 1e3, allreduce_min * 1e3);
    for (int local = 1; local <= 2; ++local)
      std::printf("  exact, %d micro-batch(es) a rank    %8.3f ms  %.2fx  (target <= 1.5x; fastest %.3f ms, %.2fx)\n",
                  local, exact[local - 1] * 1e3, exact[local - 1] / allreduce, exact_min[local - 1] * 1e3,
                  exact_min[local - 1] / allreduce_min);
    std::printf("%d ranks: %.1f steps/s\n", world.size(), rate);
  }
  return 0;
}

}  // namespace

int main(int, char** argv) {
  if (grid::rank_env().size > 1) return ranked(grid::rank_world());
  std::printf("exact train 784-512-512-10, batch 128, 4 micro-batches, 1 thread a rank\n");
  std::printf("1 rank: %.1f steps/s\n", steps_per_s(nullptr));
  std::fflush(stdout);
  // The same binary as 2 ranks; Open MPI asks for these to run as root.
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  const std::string cmd = "mpirun --oversubscribe -np " + std::to_string(kRanks) + " " + argv[0];
  const int status = std::system(cmd.c_str());
  if (status != 0) std::fprintf(stderr, "rank_reduce: '%s' failed; is Open MPI installed?\n", cmd.c_str());
  return status == 0 ? 0 : 1;
}
