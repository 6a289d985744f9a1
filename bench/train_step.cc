// Training steps/s of a 784-512-512-10 MLP, batch 128, SGD, measured side
// by side in one run on the same cores:
//   exact CPU / fast CPU         (target >= 0.5)
//   fast CPU / NumPy             (target >= 1.0; bench/numpy_train_step.py)
//   exact CUDA / fast CUDA       (target >= 0.5; only where a GPU answers;
//                                 both keep the state on the device)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "compute/device_cuda.h"
#include "compute/mlp.h"
#include "compute/synthetic_data.h"

namespace {

constexpr int kSteps = 100;  // about a second each: 20 steps were too few to be steady

double steps_per_s(const grid::Dataset& data, grid::NumericMode mode, bool cuda) {
  grid::MlpConfig c;
  c.layers = {784, 512, 512, 10};
  c.loss = "softmax_xent";
  c.optimizer = "sgd";
  c.lr = 0.01f;
  c.batch = 128;
  c.steps = kSteps + 2;
  c.seed = 7;
  grid::GemmEngine e;
  e.mode = mode;
  e.cuda = cuda;
  e.threads = static_cast<int>(std::thread::hardware_concurrency());
  grid::Trainer t(c, data, e);
  t.step();  // warm-up: first-touch of buffers, thread start, the state to the GPU
  t.last_loss();  // a GPU's steps are queued: wait for them (on the CPU, nothing)
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSteps; ++i) t.step();
  t.last_loss();
  return kSteps / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
  double exact = steps_per_s(data, grid::NumericMode::exact, false);
  double fast = steps_per_s(data, grid::NumericMode::fast, false);
  double numpy = numpy_steps_per_s();
  std::printf("train 784-512-512-10, batch 128, SGD, %u threads\n", std::thread::hardware_concurrency());
  std::printf("  %-22s %10.1f steps/s\n", "exact CPU", exact);
  std::printf("  %-22s %10.1f steps/s\n", "fast CPU (OpenBLAS)", fast);
  if (numpy > 0) std::printf("  %-22s %10.1f steps/s\n", "NumPy (same step)", numpy);
  else std::printf("  %-22s %10s\n", "NumPy (same step)", "unavailable (/usr/bin/python3 with numpy)");
  std::printf("  exact CPU / fast CPU   %6.3f   (target >= 0.5)\n", exact / fast);
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
