// What verifying costs against what the work cost, through the same lib/
// entry points the tools run (job_split_main, job_run_main,
// proof_check_main), in one process on the same cores:
//
//   proof_cost [THREADS]     THREADS defaults to every core
//
// 1. spot: proof-check's default modes (sig, trace, spot; --detect 0.99
//    against --cheat-fraction 0.1) on the train example
//    (examples/jobs/train.json) over job-run's execution of it. Target <=
//    0.05, printed beside the detection probability reached. Also with
//    --budget 0.05, and on a longer task with many segments, where the
//    sample is a small share of the work.
// 2. freivalds: proof-check --mode freivalds over job-run's exact GEMM for
//    m = n = k = 2048 on the CPU (the task's exact mode is the baseline; the
//    fast OpenBLAS GEMM is printed too). Target <= 0.02. End to end, both
//    sides also make A and B from the seed and hash C; the kernel line
//    compares Freivalds' three passes with the exact GEMM alone, on the
//    same A, B and C in memory, at n = 2048, 4096 and 8192 (the GEMM is
//    timed once past 2048: at 8192 it alone takes minutes on 2 cores).
//
// Each is the median of a few alternating runs; job-run runs with --force so
// it always computes. Run from the repository root (make bench).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "compute/exact_gemm.h"
#include "compute/freivalds.h"
#include "jobs/job_run.h"
#include "jobs/job_split.h"
#include "core/keyfile.h"
#include "core/tool.h"
#include "measure/timing.h"
#include "proof/proof_check.h"
#include "compute/seeded_matrix.h"

namespace fs = std::filesystem;

namespace {

int g_threads = 0;
// The kernel ratio's sizes: each doubling shows the O(n^2) check against
// the O(n^3) GEMM (8192: 768 MB of matrices, the GEMM alone minutes on 2 cores).
constexpr int kFreivaldsSizes[] = {2048, 4096, 8192};

// Runs body with stdout sent to `path` (the lib entry points write there).
void to_file(const std::string& path, const std::function<void()>& body) {
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (saved < 0 || fd < 0) {
    std::perror("proof_cost");
    std::exit(1);
  }
  ::dup2(fd, 1);
  ::close(fd);
  body();
  ::dup2(saved, 1);
  ::close(saved);
}

// Wall seconds of run; its process CPU seconds (every thread) in *cpu.
double seconds(const std::function<void()>& run, double* cpu = nullptr) {
  const grid::WallAndCpu t = grid::time_wall_and_cpu(run);
  if (cpu) *cpu = t.cpu;
  return t.wall;
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

void quiet(grid::Tool& tool, const std::string& key) {
  tool.common().quiet = true;
  tool.common().key = key;
}

std::vector<grid::json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<grid::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(grid::json::parse(line));
  return out;
}

struct Setup {
  std::string dir, key, store, tasks, results, verdicts;
};

// Splits `job` (one line) into tasks.
void split(const Setup& s, const std::string& job) {
  const std::string job_file = s.dir + "/job.json";
  std::ofstream(job_file) << job << "\n";
  grid::Tool tool("job-split", "");
  quiet(tool, "");
  grid::SplitCommand cmd;
  cmd.inputs = {job_file};
  to_file(s.tasks, [&] { grid::job_split_main(tool, cmd); });
}

double run_job(const Setup& s, const std::string& mode, double* cpu) {
  grid::Tool tool("job-run", "");
  quiet(tool, s.key);
  grid::RunOptions opt;
  opt.inputs = {s.tasks};
  opt.store = s.store;
  opt.device = "cpu";
  opt.threads = g_threads;
  opt.force = true;
  opt.mode = mode;
  return seconds([&] { to_file(s.results, [&] { grid::job_run_main(tool, opt); }); }, cpu);
}

double verify(const Setup& s, grid::ProofOptions opt, double* cpu) {
  grid::Tool tool("proof-check", "");
  quiet(tool, s.key);
  opt.inputs = {s.results};
  opt.tasks = {s.tasks};
  opt.store = s.store;
  opt.device = "cpu";
  opt.threads = g_threads;
  return seconds([&] { to_file(s.verdicts, [&] { grid::proof_check_main(tool, opt); }); }, cpu);
}

struct Measured {
  double run = 0, check = 0, run_cpu = 0, check_cpu = 0;
  grid::json verdict;
};

// Median execution and verification times over `reps` alternating runs.
Measured measure(const Setup& s, const grid::ProofOptions& opt, int reps, const std::string& mode = "") {
  std::vector<double> run, check, run_cpu, check_cpu;
  Measured m;
  for (int i = 0; i < reps; ++i) {
    double rc = 0, cc = 0;
    run.push_back(run_job(s, mode, &rc));
    check.push_back(verify(s, opt, &cc));
    run_cpu.push_back(rc);
    check_cpu.push_back(cc);
    m.verdict = read_lines(s.verdicts).at(0);
    if (m.verdict["status"] != "accept") {
      std::fprintf(stderr, "proof_cost: an honest result was not accepted: %s\n", m.verdict.dump().c_str());
      std::exit(1);
    }
  }
  m.run = median(run);
  m.check = median(check);
  m.run_cpu = median(run_cpu);
  m.check_cpu = median(check_cpu);
  return m;
}

void print_spot(const char* what, const Measured& m) {
  const grid::json& spot = m.verdict["checked"]["spot"];
  std::printf("%-40s %7.3f %7.3f %6.3f  %7.3f %7.3f %6.3f %6.2f%% %7.5f\n", what, m.run, m.check, m.check / m.run,
              m.run_cpu, m.check_cpu, m.check_cpu / m.run_cpu, 100 * spot["share"].get<double>(),
              m.verdict["detection_probability"].get<double>());
}

std::string train_job(int steps, int every) {
  std::ifstream in("examples/jobs/train.json");
  if (!in) {
    std::fprintf(stderr, "proof_cost: run from the repository root (examples/jobs/train.json)\n");
    std::exit(1);
  }
  grid::json job = grid::json::parse(in);
  if (steps) {
    job["train"]["steps"] = steps;
    job["train"]["checkpoint_every"] = every;
  }
  return job.dump();
}

}  // namespace

int main(int argc, char** argv) {
  g_threads = argc > 1 ? std::atoi(argv[1]) : 0;
  char tmpl[] = "/tmp/proof_cost.XXXXXX";
  if (!::mkdtemp(tmpl)) return std::perror("proof_cost"), 1;
  Setup s{tmpl, std::string(tmpl) + "/key", std::string(tmpl) + "/store", std::string(tmpl) + "/tasks.jsonl",
          std::string(tmpl) + "/results.jsonl", std::string(tmpl) + "/verdicts.jsonl"};
  grid::save_key(s.key, grid::generate_signing_key(), false);

  std::printf("spot: proof-check (sig,trace,spot) / job-run on the CPU, seconds (median); wall, then CPU time of all threads\n");
  std::printf("%-40s %7s %7s %6s  %7s %7s %6s %7s %7s\n", "task", "run", "verify", "ratio", "run-cpu", "ver-cpu", "ratio",
              "re-run", "detect");
  grid::ProofOptions defaults;
  split(s, train_job(0, 0));
  const Measured train = measure(s, defaults, 5);
  print_spot("train example (200 steps, 10 segments)", train);
  grid::ProofOptions budget;
  budget.budget = 0.05;
  print_spot("  the same, --budget 0.05", measure(s, budget, 5));
  split(s, train_job(4000, 4));
  print_spot("4000 steps, 1000 segments", measure(s, defaults, 3));
  std::printf("target: ratio <= 0.05 at the default settings on the train example: %s (wall %.3f, CPU %.3f; "
              "detection probability %.5f against a 10%% cheat)\n\n",
              train.check / train.run <= 0.05 ? "met" : "NOT met", train.check / train.run,
              train.check_cpu / train.run_cpu, train.verdict["detection_probability"].get<double>());

  std::printf("freivalds: proof-check --mode freivalds / job-run, GEMM 2048 x 2048 x 2048 f32, CPU\n");
  split(s, R"({"kind":"job","v":1,"type":"gemm","mode":"exact","gemm":{"m":2048,"n":2048,"k":2048,"dtype":"f32","seed":42}})");
  grid::ProofOptions freivalds;
  freivalds.modes = {"freivalds"};
  const Measured exact = measure(s, freivalds, 3);
  const Measured fast = measure(s, freivalds, 3, "fast");
  std::printf("%-40s %7s %7s %6s  %7s %7s %6s\n", "baseline: job-run of", "gemm", "verify", "ratio", "run-cpu", "ver-cpu",
              "ratio");
  std::printf("%-40s %7.3f %7.3f %6.3f  %7.3f %7.3f %6.3f\n", "exact GEMM (the task's mode)", exact.run, exact.check,
              exact.check / exact.run, exact.run_cpu, exact.check_cpu, exact.check_cpu / exact.run_cpu);
  std::printf("%-40s %7.3f %7.3f %6.3f  %7.3f %7.3f %6.3f\n", "fast GEMM (OpenBLAS)", fast.run, fast.check,
              fast.check / fast.run, fast.run_cpu, fast.check_cpu, fast.check_cpu / fast.run_cpu);
  // What any verifier pays before checking anything: A and B made again from the seed.
  std::vector<double> gen;
  for (int i = 0; i < 3; ++i)
    gen.push_back(seconds([] {
      volatile float sink = grid::seeded_matrix(42, grid::kStreamA, 2048, 2048)[7] +
                            grid::seeded_matrix(42, grid::kStreamB, 2048, 2048)[7];
      (void)sink;
    }));
  std::printf("of which making A and B from the seed: %.3f s (%.3f of the exact run)\n", median(gen),
              median(gen) / exact.run);
  // Kernel against kernel: the 16 rounds' three passes against the exact
  // GEMM, A, B and C already in memory, on the same threads, at growing n:
  // O(n^2) against O(n^3), so the ratio should halve as n doubles.
  std::printf("kernel: Freivalds' 3 passes / exact GEMM, A, B and C in memory, %d threads (0: every core)\n", g_threads);
  std::printf("%6s %12s %5s %12s %5s %8s\n", "n", "exact GEMM s", "runs", "Freivalds s", "runs", "ratio");
  double kernel_ratio = 0;
  for (const int nn : kFreivaldsSizes) {
    const std::vector<float> A = grid::seeded_matrix(42, grid::kStreamA, nn, nn, g_threads);
    const std::vector<float> B = grid::seeded_matrix(42, grid::kStreamB, nn, nn, g_threads);
    std::vector<float> C(static_cast<size_t>(nn) * nn);
    std::vector<double> probes(static_cast<size_t>(nn) * grid::kFreivaldsProbes);
    for (size_t i = 0; i < probes.size(); ++i) probes[i] = (i * 2654435761u) >> 7 & 1 ? 1.0 : -1.0;
    // The GEMM grows 8x per doubling: past 2048 it is timed fewer times.
    const int gemm_runs = nn <= 2048 ? 3 : 1, check_runs = nn <= 4096 ? 5 : 3;
    std::vector<double> gemm_s, check_s;
    for (int i = 0; i < gemm_runs; ++i)
      gemm_s.push_back(
          seconds([&] { grid::exact_gemm_cpu(nn, nn, nn, A.data(), nn, B.data(), nn, C.data(), nn, g_threads); }));
    double bound_sum = 0;
    for (int i = 0; i < check_runs; ++i)
      check_s.push_back(seconds([&] {
        bound_sum += grid::freivalds_sums(A.data(), B.data(), C.data(), nn, nn, nn, probes, g_threads).bound[0];
      }));
    const double ratio = median(check_s) / median(gemm_s);
    if (nn == 2048) kernel_ratio = ratio;
    std::printf("%6d %12.4f %5d %12.4f %5d %8.4f  (bound check %.3g)%s\n", nn, median(gemm_s), gemm_runs,
                median(check_s), check_runs, ratio, bound_sum, gemm_runs == 1 ? "; GEMM timed once" : "");
  }
  std::printf("target: ratio <= 0.02 against the exact GEMM: end to end %s (wall %.3f, CPU %.3f); kernel at 2048 %s "
              "(%.4f); detection 1 - 2^-16\n",
              exact.check / exact.run <= 0.02 ? "met" : "NOT met", exact.check / exact.run,
              exact.check_cpu / exact.run_cpu, kernel_ratio <= 0.02 ? "met" : "NOT met", kernel_ratio);
  fs::remove_all(s.dir);
  return 0;
}
