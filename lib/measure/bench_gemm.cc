#include <cmath>
#include <vector>

#include "compute/device_cuda.h"
#include "compute/exact_gemm.h"
#include "compute/fast_gemm.h"
#include "compute/openblas.h"
#include "measure/gemm_check.h"
#include "measure/gpu_bench.h"
#include "compute/gpu_bench_cuda.h"
#include "compute/philox.h"
#include "compute/seeded_matrix.h"
#include "measure/timing.h"

namespace grid {
namespace {

// A fixed seed: the same operands on every machine and every run, so
// profiles compare like with like.
constexpr uint64_t kBenchSeed = 0x67726964;  // "grid"
constexpr int kCheckedEntries = 64;

struct Flavour {
  std::string name;
  GemmTolerance tol;
};

std::vector<std::pair<int, int>> sample_positions(int m, int n) {
  std::vector<std::pair<int, int>> at;
  for (int i = 0; i < kCheckedEntries; ++i) {
    at.emplace_back(static_cast<int>(philox_word(kBenchSeed, 9, 2 * i) % static_cast<uint32_t>(m)),
                    static_cast<int>(philox_word(kBenchSeed, 9, 2 * i + 1) % static_cast<uint32_t>(n)));
  }
  return at;
}

std::vector<int> sweep(const BenchContext& ctx) {
  if (ctx.device.backend == Backend::cpu) return ctx.quick ? std::vector<int>{256, 512} : std::vector<int>{512, 1024, 2048};
  return ctx.quick ? std::vector<int>{1024, 4096} : std::vector<int>{1024, 2048, 4096, 8192};
}

// Times one flavour over the size sweep; returns its profile entry.
json time_flavour(BenchContext& ctx, const Flavour& f,
                  const std::function<std::vector<double>(int, const std::vector<float>&, const std::vector<float>&,
                                                          const std::vector<std::pair<int, int>>&,
                                                          std::vector<float>*)>& run) {
  json sizes = json::array();
  json best;
  double best_rate = -1;
  for (int s : sweep(ctx)) {
    ctx.progress("gemm " + f.name + " " + std::to_string(s) + "^3");
    auto A = seeded_matrix(kBenchSeed, kStreamA, s, s);
    auto B = seeded_matrix(kBenchSeed, kStreamB, s, s);
    auto at = sample_positions(s, s);
    std::vector<float> got;
    std::vector<double> seconds = run(s, A, B, at, &got);
    bool ok = false;
    json check = check_gemm_samples(f.tol, s, A, B, s, at, got, &ok);
    if (!ok) ctx.faults.push_back("gemm " + f.name + " at " + std::to_string(s) + "^3 gave wrong entries");
    Spread rate = rate_spread(seconds, 2.0 * s * s * s / 1e12);
    json entry = {{"m", s}, {"n", s}, {"k", s}, {"tflops", spread_json(rate)}, {"check", check}};
    if (rate.median > best_rate) {
      best_rate = rate.median;
      best = entry;
    }
    sizes.push_back(entry);
  }
  return {{"best", best}, {"sweep", sizes}};
}

int reps(const BenchContext& ctx) { return ctx.quick ? 3 : 7; }

}  // namespace

json bench_gemm(BenchContext& ctx) {
  const double u32 = std::ldexp(1.0, -24);
  json out = json::object();
  if (ctx.device.backend == Backend::cpu) {
    auto cpu_run = [&](bool exact) {
      return [&ctx, exact](int s, const std::vector<float>& A, const std::vector<float>& B,
                           const std::vector<std::pair<int, int>>& at, std::vector<float>* got) {
        std::vector<float> C(static_cast<size_t>(s) * s);
        auto once = [&] {
          if (exact) exact_gemm_cpu(s, s, s, A.data(), s, B.data(), s, C.data(), s, ctx.threads);
          else fast_gemm_cpu(s, s, s, A.data(), s, B.data(), s, C.data(), s, ctx.threads);
        };
        auto seconds = time_runs(once, 1, reps(ctx));
        for (auto [i, j] : at) got->push_back(C[static_cast<size_t>(i) * s + j]);
        return seconds;
      };
    };
    out["exact_f32"] = time_flavour(ctx, {"exact_f32", {u32, u32, 0}}, cpu_run(true));
    out["fast_f32"] = time_flavour(ctx, {"fast_f32", {u32, u32, 0}}, cpu_run(false));
    // Which kernels ran: the same library runs five times faster with one
    // core type than another (compute/openblas.h).
    out["fast_f32"]["openblas"] = {{"library", openblas().library}, {"core", openblas().core}};
    return out;
  }
  const int dev = ctx.device.index;
  struct Row {
    CudaGemm g;
    double u_in, u_acc, abs_err;
  } rows[] = {
      {CudaGemm::exact_f32, u32, u32, 0},
      {CudaGemm::f32, u32, u32, 0},
      {CudaGemm::tf32, std::ldexp(1.0, -11), u32, 0},
      {CudaGemm::bf16, std::ldexp(1.0, -8), u32, 0},
      {CudaGemm::fp16, std::ldexp(1.0, -11), u32, std::ldexp(1.0, -25)},
      {CudaGemm::fp8, std::ldexp(1.0, -4), u32, std::ldexp(1.0, -10)},
  };
  for (const Row& r : rows) {
    std::string name = r.g == CudaGemm::exact_f32 ? "exact_f32" : std::string("fast_") + cuda_gemm_name(r.g);
    if (!cuda_gemm_supported(dev, r.g)) {
      out[name] = {{"skipped", "not supported by this GPU"}};
      continue;
    }
    // One flavour that fails (cuBLASLt finds no algorithm for a size, a
    // dtype the driver refuses) is reported in its own entry; the others are
    // still measured, and the profile still published.
    try {
      out[name] = time_flavour(ctx, {name, {r.u_in, r.u_acc, r.abs_err}},
                               [&](int s, const std::vector<float>& A, const std::vector<float>& B,
                                   const std::vector<std::pair<int, int>>& at, std::vector<float>* got) {
                                 CudaGemmRun run = cuda_gemm_run(dev, r.g, s, s, s, A.data(), B.data(), at, 2, reps(ctx));
                                 *got = run.samples;
                                 return run.seconds;
                               });
    } catch (const DeviceError& e) {
      out[name] = {{"skipped", std::string("failed: ") + e.what()}};
    }
  }
  return out;
}

}  // namespace grid
