// Exact-mode CPU GEMM against OpenBLAS sgemm at its best, on the same cores.
//
//   exact_gemm [THREADS]     THREADS defaults to 2: the targets are for 2
//
// First sgemm with each OpenBLAS core type this CPU can run, each in a
// process of its own (OpenBLAS fixes its kernels as it loads). Then, in
// this process and taken in turn so that load from other processes hits
// them alike, each exact kernel (the one GRID_EXACT_KERNEL names, else
// every vector kernel the CPU runs: avx512, avx2) and fast mode (the core
// type fast mode picks: compute/openblas.h). The baseline at each size is
// the fastest OpenBLAS rate measured at that size, by any core type or by
// fast mode. Each exact kernel is also set against fast mode round by
// round (median and range of the rounds' ratios): two runs a moment
// apart, what a loaded machine disturbs least. Targets, at n >= 1024:
// exact/best >= 0.8 with the AVX-512 kernel, >= 0.7 with the AVX2 one.
// The AVX2 kernel is also set against the best OpenBLAS core type a CPU
// without AVX-512 runs (what an AVX2 machine's best is), its 0.7 target
// judged there too: on an AVX-512 CPU, half the vector width caps it near
// 0.5 of an AVX-512 sgemm.
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "compute/exact_gemm.h"
#include "compute/fast_gemm.h"
#include "compute/openblas.h"

namespace {

// Enough repetitions for a stable median, few enough to keep the whole run
// about a minute on two cores.
constexpr int kWarmups = 1;
constexpr int kMinReps = 3;
constexpr double kMinSecondsPerSize = 0.5;
constexpr int kSizes[] = {512, 1024, 2048};
// The targets hold from this size; below it, the packing and thread start
// are a larger share of the time.
constexpr int kTargetFromN = 1024;
constexpr double kTargetAvx512 = 0.8, kTargetAvx2 = 0.7;
// What the targets were set for.
constexpr int kDefaultThreads = 2;
// The hidden first argument of a child that times sgemm alone.
constexpr const char* kChildFlag = "--sgemm-only";

double seconds(const std::function<void()>& run) {
  const auto t0 = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

// OpenBLAS's threads spin for about 0.1 s after each call before they
// sleep (OPENBLAS_THREAD_TIMEOUT, 2^28 cycles): whatever ran next would
// share its cores with them. So a run marked `settle` is followed by this
// pause, untimed.
constexpr double kSettleSeconds = 0.25;

struct Timed {
  std::function<void()> run;
  bool settle = false;
};

// The times of each run, round by round (t[run][round]), the runs taken
// in turn so that load from other processes hits them alike. The run after
// a pause is run once untimed first: cores that idled through the pause
// start slow, which a product of a millisecond or two would feel.
std::vector<std::vector<double>> round_seconds(const std::vector<Timed>& runs) {
  bool paused = false;
  const auto once = [&paused](const Timed& r) {
    if (paused) r.run();
    const double s = seconds(r.run);
    paused = r.settle;
    if (r.settle) std::this_thread::sleep_for(std::chrono::duration<double>(kSettleSeconds));
    return s;
  };
  for (int i = 0; i < kWarmups; ++i)
    for (const Timed& r : runs) once(r);
  std::vector<std::vector<double>> t(runs.size());
  double total = 0;
  while (static_cast<int>(t[0].size()) < kMinReps || total < kMinSecondsPerSize) {
    for (size_t i = 0; i < runs.size(); ++i) {
      t[i].push_back(once(runs[i]));
      total += t[i].back();
    }
  }
  return t;
}

// The ratio of run b's rate to run a's in each round: median, min, max.
// Within a round the two ran a moment apart, under the same load.
struct RoundRatios {
  double median, min, max;
};
RoundRatios round_ratios(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r;
  for (size_t i = 0; i < a.size(); ++i) r.push_back(a[i] / b[i]);
  return {median(r), *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end())};
}

double gflops(int n, double s) { return 2.0 * n * n * n / s * 1e-9; }

struct Operands {
  std::vector<float> A, B, C;
};

Operands operands(std::mt19937& rng, int n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::size_t count = static_cast<std::size_t>(n) * n;
  Operands o{std::vector<float>(count), std::vector<float>(count), std::vector<float>(count)};
  for (float& v : o.A) v = dist(rng);
  for (float& v : o.B) v = dist(rng);
  return o;
}

// The child: sgemm at each size, as fast mode runs it; prints the core
// type that ran, then "N GFLOPS" a line.
int sgemm_only(int threads) {
  std::printf("core %s\n", grid::openblas().core.c_str());
  std::mt19937 rng(12345);
  for (int n : kSizes) {
    Operands o = operands(rng, n);
    const double t = median(round_seconds({{[&] {
      grid::fast_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, o.C.data(), n, threads);
    }}})[0]);
    std::printf("%d %.3f\n", n, gflops(n, t));
  }
  return 0;
}

struct CoreRates {
  std::string core;
  std::map<int, double> gflops;  // by size; empty when the child failed
  std::string problem;
};

// Runs this program again as a child with OPENBLAS_CORETYPE=core.
CoreRates time_core(const std::string& self, const std::string& core, int threads) {
  CoreRates r{core, {}, ""};
  const std::string cmd = "OPENBLAS_CORETYPE='" + core + "' '" + self + "' " + kChildFlag + " " +
                          std::to_string(threads);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    r.problem = std::string("cannot start: ") + std::strerror(errno);
    return r;
  }
  char line[256];
  while (std::fgets(line, sizeof line, p)) {
    char name[64];
    int n = 0;
    double g = 0;
    if (std::sscanf(line, "core %63s", name) == 1) {
      if (core != name) r.problem = std::string("OpenBLAS ran ") + name + " instead";
    } else if (std::sscanf(line, "%d %lf", &n, &g) == 2) {
      r.gflops[n] = g;
    }
  }
  if (::pclose(p) != 0 && r.problem.empty()) r.problem = "the child failed";
  if (!r.problem.empty()) r.gflops.clear();
  return r;
}

// The fastest rate at size n among `cores` (all core types when empty).
const CoreRates* fastest_at(const std::vector<CoreRates>& rates, int n, const std::vector<std::string>& cores = {}) {
  const CoreRates* best = nullptr;
  for (const CoreRates& c : rates) {
    if (!c.gflops.count(n)) continue;
    if (!cores.empty() && std::find(cores.begin(), cores.end(), c.core) == cores.end()) continue;
    if (!best || c.gflops.at(n) > best->gflops.at(n)) best = &c;
  }
  return best;
}

// The exact kernels to measure: GRID_EXACT_KERNEL's, else each vector
// kernel this CPU runs (the portable one is for tests: far too slow).
std::vector<grid::GemmKernel> kernels_to_time() {
  const char* forced = std::getenv(grid::kExactKernelEnv);
  if (forced && *forced) return {grid::exact_gemm_kernel()};
  std::vector<grid::GemmKernel> out;
  for (grid::GemmKernel k : {grid::GemmKernel::avx512, grid::GemmKernel::avx2})
    if (grid::gemm_kernel_runs_on(k, grid::cpu_features())) out.push_back(k);
  if (out.empty()) out.push_back(grid::GemmKernel::portable);
  return out;
}

// "target >= 0.8: met", or "" where the kernel or size has no target.
std::string target_note(grid::GemmKernel k, int n, double ratio) {
  double target = 0;
  if (k == grid::GemmKernel::avx512) target = kTargetAvx512;
  if (k == grid::GemmKernel::avx2) target = kTargetAvx2;
  if (target == 0 || n < kTargetFromN) return "";
  char text[64];
  std::snprintf(text, sizeof text, "target >= %.1f: %s", target, ratio >= target ? "met" : "MISSED");
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], kChildFlag) == 0) return sgemm_only(std::atoi(argv[2]));
  int threads = argc > 1 ? std::atoi(argv[1]) : kDefaultThreads;
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  char exe[PATH_MAX];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) {
    std::fprintf(stderr, "exact_gemm: error: cannot find this program's path (/proc/self/exe)\n");
    return 1;
  }
  const std::string self(exe, static_cast<size_t>(len));
  std::vector<grid::GemmKernel> kernels;
  try {
    kernels = kernels_to_time();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exact_gemm: error: %s\n", e.what());
    return 1;
  }

  // Before this process loads OpenBLAS itself: its threads would share the
  // cores with the children's.
  std::printf("OpenBLAS sgemm GFLOP/s by core type, %d thread(s), each in its own process, median time\n",
              threads);
  std::vector<CoreRates> cores;
  for (const std::string& c : grid::openblas_cores_runnable(grid::cpu_features()))
    cores.push_back(time_core(self, c, threads));
  std::printf("%6s", "n");
  for (const CoreRates& c : cores) std::printf(" %12s", c.core.c_str());
  std::printf("\n");
  for (int n : kSizes) {
    std::printf("%6d", n);
    for (const CoreRates& c : cores) {
      if (c.gflops.count(n)) std::printf(" %12.1f", c.gflops.at(n));
      else std::printf(" %12s", "-");
    }
    std::printf("\n");
  }
  for (const CoreRates& c : cores)
    if (!c.problem.empty()) std::printf("%s: not measured: %s\n", c.core.c_str(), c.problem.c_str());
  // The core types an AVX2 machine without AVX-512 would run.
  grid::CpuFeatures avx2_cpu = grid::cpu_features();
  avx2_cpu.avx512f = avx2_cpu.avx512cd = avx2_cpu.avx512bw = avx2_cpu.avx512dq = avx2_cpu.avx512vl = false;
  avx2_cpu.avx512bf16 = false;
  const std::vector<std::string> avx2_cores = grid::openblas_cores_runnable(avx2_cpu);
  std::printf("\n");
  std::fflush(stdout);

  const grid::Openblas& blas = grid::openblas();
  std::printf("exact kernels and fast mode (OpenBLAS %s, %s, %s) against the fastest OpenBLAS sgemm at each size\n"
              "(any core type above, or fast mode), %d thread(s), row-major FP32, median time\n",
              blas.core.c_str(), blas.chosen.empty() ? "OpenBLAS's or OPENBLAS_CORETYPE's choice" : "our choice",
              blas.library.c_str(), threads);
  std::printf("%6s %-9s %13s %13s %-12s %10s  %s\n", "n", "kernel", "GFLOP/s", "best GFLOP/s", "best is", "ratio",
              "");
  std::mt19937 rng(12345);
  bool ok = true;
  for (int n : kSizes) {
    Operands o = operands(rng, n);
    std::vector<std::vector<float>> C(kernels.size(), std::vector<float>(o.C.size()));
    std::vector<Timed> runs;
    for (size_t i = 0; i < kernels.size(); ++i)
      runs.push_back({[&, i] {
        grid::exact_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, C[i].data(), n, threads, kernels[i]);
      }});
    runs.push_back({[&] { grid::fast_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, o.C.data(), n, threads); },
                    true});
    const std::vector<std::vector<double>> rounds = round_seconds(runs);
    std::vector<double> t;
    for (const std::vector<double>& r : rounds) t.push_back(median(r));
    const double fast = gflops(n, t.back());

    const CoreRates* child = fastest_at(cores, n);
    const bool fast_is_best = !child || fast >= child->gflops.at(n);
    const double best = fast_is_best ? fast : child->gflops.at(n);
    const std::string best_name = fast_is_best ? "fast mode" : child->core;
    for (size_t i = 0; i < kernels.size(); ++i) {
      const double exact = gflops(n, t[i]);
      std::printf("%6d %-9s %13.1f %13.1f %-12s %10.2f  %s\n", n, grid::gemm_kernel_name(kernels[i]), exact, best,
                  best_name.c_str(), exact / best, target_note(kernels[i], n, exact / best).c_str());
      const RoundRatios r = round_ratios(rounds.back(), rounds[i]);
      std::printf("%6d %-9s against fast mode round by round: median %.2f, range %.2f..%.2f over %zu rounds\n", n,
                  grid::gemm_kernel_name(kernels[i]), r.median, r.min, r.max, rounds[i].size());
      if (kernels[i] == grid::GemmKernel::avx2 && avx2_cores.size() < grid::openblas_cores_runnable(grid::cpu_features()).size()) {
        if (const CoreRates* like = fastest_at(cores, n, avx2_cores))
          std::printf("%6d %-9s %13.1f %13.1f %-12s %10.2f  %s%s\n", n, "avx2", exact, like->gflops.at(n),
                      like->core.c_str(), exact / like->gflops.at(n),
                      "(like for like: the best OpenBLAS core type a CPU without AVX-512 runs) ",
                      target_note(kernels[i], n, exact / like->gflops.at(n)).c_str());
      }
      // Every kernel gives the same bits, and near the double reference
      // (a few entries, scaled by the size of the terms).
      if (C[i] != C[0]) {
        std::fprintf(stderr, "exact_gemm: error: the %s and %s kernels gave different bits at n=%d\n",
                     grid::gemm_kernel_name(kernels[i]), grid::gemm_kernel_name(kernels[0]), n);
        ok = false;
      }
    }
    double max_rel = 0;
    for (int s = 0; s < 64; ++s) {
      const int i = static_cast<int>(rng() % n), j = static_cast<int>(rng() % n);
      const double ref = grid::reference_gemm_entry_f64(n, o.A.data(), n, o.B.data(), n, i, j);
      max_rel = std::max(max_rel, std::fabs(C[0][i * n + j] - ref) / std::sqrt(double(n)));
    }
    if (max_rel >= 1e-4) {
      std::fprintf(stderr, "exact_gemm: error: exact result is off the double reference (%.2e) at n=%d\n", max_rel,
                   n);
      ok = false;
    }
    std::printf("%6d %-9s %13.1f %13.1f %-12s %10.2f  %s\n", n, "fast", fast, best, best_name.c_str(), fast / best,
                ("OpenBLAS " + blas.core).c_str());
    std::fflush(stdout);
  }
  return ok ? 0 : 1;
}
