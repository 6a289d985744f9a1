#include <cmath>
#include <vector>

#include "device_cuda.h"
#include "exact_gemm.h"
#include "fast_gemm.h"
#include "gpu_bench.h"
#include "gpu_bench_cuda.h"
#include "philox.h"
#include "seeded_matrix.h"
#include "timing.h"

namespace grid {
namespace {

// A fixed seed: the same operands on every machine and every run, so
// profiles compare like with like.
constexpr uint64_t kBenchSeed = 0x67726964;  // "grid"
constexpr int kCheckedEntries = 64;

struct Flavour {
  std::string name;
  double input_unit_roundoff;  // of the input type; the error a product starts with
  double accum_unit_roundoff;  // of the accumulation
  double input_abs_error = 0;  // where small inputs go subnormal (fp8): per product, operands within [-1, 1]
};

std::vector<std::pair<int, int>> sample_positions(int m, int n) {
  std::vector<std::pair<int, int>> at;
  for (int i = 0; i < kCheckedEntries; ++i) {
    at.emplace_back(static_cast<int>(philox_word(kBenchSeed, 9, 2 * i) % static_cast<uint32_t>(m)),
                    static_cast<int>(philox_word(kBenchSeed, 9, 2 * i + 1) % static_cast<uint32_t>(n)));
  }
  return at;
}

// Checks sampled entries of C against a float64 reference with a forward
// error bound: |c - ref| <= (2 u_in + k u_acc) * sum |a||b| + 2 k e_abs,
// times a margin of 2 for the rounding of the bound itself.
json check_samples(const Flavour& f, int k, const std::vector<float>& A, const std::vector<float>& B, int n,
                   const std::vector<std::pair<int, int>>& at, const std::vector<float>& got, bool* ok) {
  double worst = 0;
  *ok = got.size() == at.size();
  for (size_t s = 0; s < at.size() && s < got.size(); ++s) {
    auto [i, j] = at[s];
    double ref = 0, mag = 0;
    for (int p = 0; p < k; ++p) {
      double prod = static_cast<double>(A[static_cast<size_t>(i) * k + p]) * B[static_cast<size_t>(p) * n + j];
      ref += prod;
      mag += std::fabs(prod);
    }
    double bound = 2 * ((2 * f.input_unit_roundoff + k * f.accum_unit_roundoff) * mag + 2.0 * k * f.input_abs_error) + 1e-30;
    double err = std::fabs(static_cast<double>(got[s]) - ref);
    if (!(err <= bound)) *ok = false;  // NaN fails too
    worst = std::fmax(worst, mag > 0 ? err / mag : err);
  }
  return {{"entries", at.size()}, {"max_error_over_magnitude", worst}, {"ok", *ok}};
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
    json check = check_samples(f, s, A, B, s, at, got, &ok);
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
    out["exact_f32"] = time_flavour(ctx, {"exact_f32", u32, u32, 0}, cpu_run(true));
    out["fast_f32"] = time_flavour(ctx, {"fast_f32", u32, u32, 0}, cpu_run(false));
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
    out[name] = time_flavour(ctx, {name, r.u_in, r.u_acc, r.abs_err},
                             [&](int s, const std::vector<float>& A, const std::vector<float>& B,
                                 const std::vector<std::pair<int, int>>& at, std::vector<float>* got) {
                               CudaGemmRun run = cuda_gemm_run(dev, r.g, s, s, s, A.data(), B.data(), at, 2, reps(ctx));
                               *got = run.samples;
                               return run.seconds;
                             });
  }
  return out;
}

}  // namespace grid
