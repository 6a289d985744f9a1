// Training steps/s of a 784-512-512-10 MLP, batch 128, SGD, measured side
// by side in one run on the same cores:
//   exact CPU / fast CPU         (target >= 0.7)
//   fast CPU / NumPy             (target >= 1.0; bench/numpy_train_step.py)
//   exact CUDA / fast CUDA       (target >= 0.5; only where a GPU answers;
//                                 both keep the state on the device)
// Exact and fast CPU steps are timed in alternating rounds, so that load
// from other processes hits both alike; each rate is the median round's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/mlp.h"
#include "compute/openblas.h"
#include "compute/synthetic_data.h"

namespace {

constexpr int kSteps = 100;  // about a second each: 20 steps were too few to be steady
// The CPU comparison: kRounds rounds of kSteps / kRounds steps of each.
constexpr int kRounds = 10;
// OpenBLAS's threads spin for about 0.1 s after a call (bench/exact_gemm.cc):
// a pause after each fast round keeps them off the exact round's cores.
constexpr double kSettleSeconds = 0.25;

grid::MlpConfig config() {
  grid::MlpConfig c;
  c.layers = {784, 512, 512, 10};
  c.loss = "softmax_xent";
  c.optimizer = "sgd";
  c.lr = 0.01f;
  c.batch = 128;
  c.steps = kSteps + kRounds + 2;
  c.seed = 7;
  return c;
}

grid::GemmEngine engine(grid::NumericMode mode, bool cuda) {
  grid::GemmEngine e;
  e.mode = mode;
  e.cuda = cuda;
  e.threads = static_cast<int>(std::thread::hardware_concurrency());
  return e;
}

double seconds_of(grid::Trainer& t, int steps) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) t.step();
  t.last_loss();  // a GPU's steps are queued: wait for them (on the CPU, nothing)
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double steps_per_s(const grid::Dataset& data, grid::NumericMode mode, bool cuda) {
  grid::Trainer t(config(), data, engine(mode, cuda));
  t.step();  // warm-up: first-touch of buffers, thread start, the state to the GPU
  t.last_loss();
  return kSteps / seconds_of(t, kSteps);
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

double numpy_steps_per_s() {
  std::string cmd = "/usr/bin/python3 bench/numpy_train_step.py " + std::to_string(kSteps) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  double rate = 0;
  if (std::fscanf(p, "%lf", &rate) != 1) rate = 0;
  pclose(p);
  return rate;
}

}  // namespace

int main() {
  grid::Dataset data = grid::synthetic_blobs(3, 4096, 784, 10);
  grid::Trainer exact_t(config(), data, engine(grid::NumericMode::exact, false));
  grid::Trainer fast_t(config(), data, engine(grid::NumericMode::fast, false));
  exact_t.step();  // warm-up: first-touch of buffers, thread start
  fast_t.step();
  std::vector<double> exact_rates, fast_rates, ratios;
  for (int r = 0; r < kRounds; ++r) {
    const int steps = kSteps / kRounds;
    // Untimed: the cores idled through the pause, and start slow.
    if (r > 0) exact_t.step();
    exact_rates.push_back(steps / seconds_of(exact_t, steps));
    fast_rates.push_back(steps / seconds_of(fast_t, steps));
    ratios.push_back(exact_rates.back() / fast_rates.back());
    std::this_thread::sleep_for(std::chrono::duration<double>(kSettleSeconds));
  }
  const double exact = median(exact_rates), fast = median(fast_rates);
  const double numpy = numpy_steps_per_s();
  std::printf("train 784-512-512-10, batch 128, SGD, %u threads; exact kernel %s, OpenBLAS %s\n",
              std::thread::hardware_concurrency(), grid::gemm_kernel_name(grid::exact_gemm_kernel()),
              grid::openblas().core.c_str());
  std::printf("  %-22s %10.1f steps/s (median of %d rounds)\n", "exact CPU", exact, kRounds);
  std::printf("  %-22s %10.1f steps/s (median of %d rounds)\n", "fast CPU (OpenBLAS)", fast, kRounds);
  if (numpy > 0) std::printf("  %-22s %10.1f steps/s\n", "NumPy (same step)", numpy);
  else std::printf("  %-22s %10s\n", "NumPy (same step)", "unavailable (/usr/bin/python3 with numpy)");
  const double ratio = exact / fast;
  std::printf("  exact CPU / fast CPU   %6.3f   (target >= 0.7: %s; rounds %.3f..%.3f)\n", ratio,
              ratio >= 0.7 ? "met" : "MISSED", *std::min_element(ratios.begin(), ratios.end()),
              *std::max_element(ratios.begin(), ratios.end()));
  if (numpy > 0) std::printf("  fast CPU / NumPy       %6.3f   (target >= 1.0)\n", fast / numpy);
  if (grid::cuda_device_count() > 0) {
    double ce = steps_per_s(data, grid::NumericMode::exact, true);
    double cf = steps_per_s(data, grid::NumericMode::fast, true);
    std::printf("  exact CUDA / fast CUDA %6.3f   (target >= 0.5; %.1f vs %.1f steps/s)\n", ce / cf, ce, cf);
  } else {
    std::printf("  exact CUDA / fast CUDA   n/a    (no GPU answers here)\n");
  }
  return 0;
}
