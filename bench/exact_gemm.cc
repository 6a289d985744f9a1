// Exact-mode CPU GEMM against OpenBLAS sgemm at its best, on the same cores.
//
//   exact_gemm [THREADS]     THREADS defaults to the hardware thread count
//
// First sgemm with each OpenBLAS core type this CPU can run, each in a
// process of its own (OpenBLAS fixes its kernels as it loads), and which
// is fastest: the baseline. Then exact mode and fast mode (the core type
// fast mode picks: compute/openblas.h) side by side, against that baseline.
// The target is exact/best >= 0.5: exact mode may cost some speed for
// reproducibility, but not most of it; and fast/best near 1.
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
constexpr int kSizes[] = {256, 512, 1024, 2048};
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

// Median times of each run, taken in turn so that load from other
// processes hits them alike.
std::vector<double> median_seconds(const std::vector<std::function<void()>>& runs) {
  for (int i = 0; i < kWarmups; ++i)
    for (const auto& r : runs) r();
  std::vector<std::vector<double>> t(runs.size());
  double total = 0;
  while (static_cast<int>(t[0].size()) < kMinReps || total < kMinSecondsPerSize) {
    for (size_t i = 0; i < runs.size(); ++i) {
      t[i].push_back(seconds(runs[i]));
      total += t[i].back();
    }
  }
  std::vector<double> out;
  for (const auto& x : t) out.push_back(median(x));
  return out;
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
    const double t = median_seconds({[&] {
      grid::fast_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, o.C.data(), n, threads);
    }})[0];
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

double geometric_mean(const std::map<int, double>& x) {
  double s = 0;
  for (const auto& [n, g] : x) s += std::log(g);
  return std::exp(s / x.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], kChildFlag) == 0) return sgemm_only(std::atoi(argv[2]));
  int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  char exe[PATH_MAX];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) {
    std::fprintf(stderr, "exact_gemm: error: cannot find this program's path (/proc/self/exe)\n");
    return 1;
  }
  const std::string self(exe, static_cast<size_t>(len));

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
  const CoreRates* best = nullptr;
  for (const CoreRates& c : cores) {
    if (!c.problem.empty()) std::printf("%s: not measured: %s\n", c.core.c_str(), c.problem.c_str());
    else if (!best || geometric_mean(c.gflops) > geometric_mean(best->gflops)) best = &c;
  }
  if (!best) {
    std::fprintf(stderr, "exact_gemm: error: no OpenBLAS core type could be measured\n");
    return 1;
  }
  std::printf("best: %s (highest geometric mean over the sizes)\n\n", best->core.c_str());
  std::fflush(stdout);

  const grid::Openblas& blas = grid::openblas();
  std::printf("exact_gemm and fast mode (OpenBLAS %s, %s, %s) against the best, %d thread(s), row-major FP32, "
              "median time\n",
              blas.core.c_str(), blas.chosen.empty() ? "OpenBLAS's or OPENBLAS_CORETYPE's choice" : "our choice",
              blas.library.c_str(), threads);
  std::printf("%6s %14s %13s %13s %11s %10s %12s\n", "n", "exact GFLOP/s", "fast GFLOP/s", "best GFLOP/s",
              "exact/best", "fast/best", "max rel err");
  std::mt19937 rng(12345);
  bool ok = true;
  for (int n : kSizes) {
    Operands o = operands(rng, n);
    std::vector<float> C_fast(o.C.size());
    const std::vector<double> t = median_seconds(
        {[&] { grid::exact_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, o.C.data(), n, threads); },
         [&] { grid::fast_gemm_cpu(n, n, n, o.A.data(), n, o.B.data(), n, C_fast.data(), n, threads); }});

    // Spot-check the exact result against the double reference on a few
    // entries, scaled by the size of the terms.
    double max_rel = 0;
    for (int s = 0; s < 64; ++s) {
      const int i = static_cast<int>(rng() % n), j = static_cast<int>(rng() % n);
      const double ref = grid::reference_gemm_entry_f64(n, o.A.data(), n, o.B.data(), n, i, j);
      max_rel = std::max(max_rel, std::fabs(o.C[i * n + j] - ref) / std::sqrt(double(n)));
    }
    ok = ok && max_rel < 1e-4;

    const double exact = gflops(n, t[0]), fast = gflops(n, t[1]), base = best->gflops.at(n);
    std::printf("%6d %14.1f %13.1f %13.1f %11.2f %10.2f %12.2e\n", n, exact, fast, base, exact / base, fast / base,
                max_rel);
    std::fflush(stdout);
  }
  if (!ok) {
    std::fprintf(stderr, "exact_gemm: error: exact result is off the double reference\n");
    return 1;
  }
  return 0;
}
