#include "measure/timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace grid {

std::vector<double> time_runs(const std::function<void()>& fn, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> out;
  out.reserve(reps);
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    out.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  return out;
}

namespace {

double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

WallAndCpu time_wall_and_cpu(const std::function<void()>& fn) {
  const double c0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(), process_cpu_seconds() - c0};
}

Spread spread_of(std::vector<double> samples) {
  Spread s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return s;
}

Spread rate_spread(const std::vector<double>& seconds, double work) {
  std::vector<double> rates;
  for (double t : seconds) rates.push_back(t > 0 ? work / t : 0);
  return spread_of(rates);
}

json spread_json(const Spread& s) {
  // Four significant digits: more would only be noise.
  auto round4 = [](double v) {
    if (v == 0 || !std::isfinite(v)) return v;
    double scale = std::pow(10.0, 3 - std::floor(std::log10(std::fabs(v))));
    return std::round(v * scale) / scale;
  };
  return {{"min", round4(s.min)}, {"median", round4(s.median)}, {"max", round4(s.max)}};
}

}  // namespace grid
