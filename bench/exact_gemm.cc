// Exact-mode CPU GEMM against OpenBLAS sgemm, side by side on the same cores.
//
//   exact_gemm [THREADS]     THREADS defaults to the hardware thread count
//
// Prints a table (GFLOP/s of each, and exact/openblas) on stdout. The target
// is a ratio >= 0.5: exact mode may cost some speed for reproducibility, but
// not most of it.
#include "compute/exact_gemm.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <utility>
#include <thread>
#include <vector>

namespace {

// Enough repetitions for a stable median, few enough to keep the whole run
// well under a minute on two cores.
constexpr int kWarmups = 1;
constexpr int kMinReps = 3;
constexpr double kMinSecondsPerSize = 0.5;

double seconds(const std::function<void()>& run) {
  const auto t0 = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

// Median times of a and b, run alternately so that load from other processes
// hits both alike.
std::pair<double, double> median_seconds(const std::function<void()>& a,
                                         const std::function<void()>& b) {
  for (int i = 0; i < kWarmups; ++i) a(), b();
  std::vector<double> ta, tb;
  double total = 0;
  while (static_cast<int>(ta.size()) < kMinReps || total < kMinSecondsPerSize) {
    ta.push_back(seconds(a));
    tb.push_back(seconds(b));
    total += ta.back() + tb.back();
  }
  return {median(ta), median(tb)};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  openblas_set_num_threads(threads);

  std::printf("exact_gemm vs OpenBLAS sgemm, %d thread(s), row-major FP32, median time\n",
              threads);
  std::printf("%6s %14s %14s %8s %12s\n", "n", "exact GFLOP/s", "oblas GFLOP/s", "ratio",
              "max rel err");
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  bool ok = true;
  for (int n : {256, 512, 1024, 2048}) {
    const std::size_t count = static_cast<std::size_t>(n) * n;
    std::vector<float> A(count), B(count), C_exact(count), C_blas(count);
    for (float& v : A) v = dist(rng);
    for (float& v : B) v = dist(rng);

    const auto [t_exact, t_blas] = median_seconds(
        [&] {
          grid::exact_gemm_cpu(n, n, n, A.data(), n, B.data(), n, C_exact.data(), n, threads);
        },
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A.data(), n,
                      B.data(), n, 0.0f, C_blas.data(), n);
        });

    // Spot-check the exact result against the double reference on a few
    // entries, scaled by the size of the terms.
    double max_rel = 0;
    for (int s = 0; s < 64; ++s) {
      const int i = static_cast<int>(rng() % n), j = static_cast<int>(rng() % n);
      const double ref = grid::reference_gemm_entry_f64(n, A.data(), n, B.data(), n, i, j);
      max_rel = std::max(max_rel, std::fabs(C_exact[i * n + j] - ref) / std::sqrt(double(n)));
    }
    ok = ok && max_rel < 1e-4;

    const double flops = 2.0 * n * n * n;
    std::printf("%6d %14.1f %14.1f %8.2f %12.2e\n", n, flops / t_exact * 1e-9,
                flops / t_blas * 1e-9, t_blas / t_exact, max_rel);
    std::fflush(stdout);
  }
  if (!ok) {
    std::fprintf(stderr, "exact_gemm: error: exact result is off the double reference\n");
    return 1;
  }
  return 0;
}
