// How often an honest provider's challenge answer is rejected as too slow
// when the machine is busy:
//
//   challenge_load [TRIALS] [N]     defaults: 50 trials, n = 512 and 1024
//
// The profile's exact GEMM rate is measured on the quiet machine, as
// `gpu-bench --quick --only gemm` does. Then two busy processes spin beside
// the answers (as two other jobs on a 2-core provider would), and each trial
// answers one request on every core with gpu-bench's default --challenge-runs,
// its runs timed on-core (gpu-bench's rule) and, for comparison, by the wall
// clock (the rule before). An answer is falsely rejected when the rate it implies
// is below proof-check's default --slow-factor times the profile's rate: the
// check of `proof-check --mode challenge`. Target: 0 of 50 with the default
// runs. The busy processes are stopped by pid, and die by themselves after
// ten minutes if this program is killed first.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compute/device.h"
#include "measure/challenge.h"
#include "measure/gpu_bench.h"
#include "measure/host_facts.h"
#include "proof/proof_modes.h"

namespace {

pid_t spin() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(600);
    volatile unsigned long x = 1;
    for (;;) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  if (pid < 0) {
    std::perror("challenge_load: fork");
    std::exit(1);
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 50;
  std::vector<int> sizes = {512, 1024};
  if (argc > 2) sizes = {std::atoi(argv[2])};
  if (trials < 1 || sizes[0] < 1 || sizes[0] > grid::kMaxChallengeN) {
    std::fprintf(stderr, "usage: challenge_load [TRIALS>=1] [N 1..%d]\n", grid::kMaxChallengeN);
    return 64;
  }
  grid::Device cpu;
  cpu.backend = grid::Backend::cpu;
  grid::BenchOptions opt;
  opt.quick = true;
  opt.only = {"gemm"};
  const grid::json profile = grid::measure_profile(opt, cpu, [](const std::string&) {});
  const double claimed = profile["summary"]["exact_gemm_tflops"];
  const double floor = grid::kDefaultSlowFactor * claimed;
  std::printf("machine: %s, %d logical cores\n", grid::host_facts()["cpu_model"].get<std::string>().c_str(),
              grid::host_facts()["logical_cores"].get<int>());
  std::printf("profile (quiet, gpu-bench --quick --only gemm): exact %.4f TFLOP/s; reject below %.2f x = %.4f\n",
              claimed, grid::kDefaultSlowFactor, floor);

  const std::vector<pid_t> busy = {spin(), spin()};
  for (int n : sizes) {
    int rejected_wall = 0, rejected_best = 0;
    double worst_wall = 1e300, worst_best = 1e300;
    const double flop = 2.0 * n * n * static_cast<double>(n);
    for (int t = 0; t < trials; ++t) {
      grid::ChallengeRequest r;
      r.id = "trial " + std::to_string(t);
      r.seed = static_cast<uint64_t>(t) + 1;
      r.n = n;
      r.dtype = "f32";
      r.deadline_ms = 600000;
      const grid::json a = grid::answer_challenge(r, cpu, 0)["answer"];
      const double best = a["tflops"];
      // The same runs by the wall clock: the rule before answers were timed on-core.
      const double wall = flop / (a["runs_wall_ms"].get<std::vector<double>>().front() * 1e-3) / 1e12;
      double fastest_wall = wall;
      for (double ms : a["runs_wall_ms"]) fastest_wall = std::max(fastest_wall, flop / (ms * 1e-3) / 1e12);
      rejected_wall += fastest_wall < floor;
      rejected_best += best < floor;
      worst_wall = std::min(worst_wall, fastest_wall);
      worst_best = std::min(worst_best, best);
    }
    std::printf("n = %d, %d trials, two busy processes beside every answer, fastest of %d runs\n", n, trials,
                grid::kDefaultChallengeRuns);
    std::printf("  wall clock (before):  %2d of %d falsely rejected (slowest %.4f TFLOP/s, %.2f x the profile)\n",
                rejected_wall, trials, worst_wall, worst_wall / claimed);
    std::printf("  on-core (gpu-bench):  %2d of %d falsely rejected (slowest %.4f TFLOP/s, %.2f x the profile)"
                "   target 0\n",
                rejected_best, trials, worst_best, worst_best / claimed);
  }
  for (pid_t p : busy) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
  return 0;
}
