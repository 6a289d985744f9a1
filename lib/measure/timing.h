// Repeated timings and their min / median / max.
#pragma once

#include <functional>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

struct Spread {
  double min = 0, median = 0, max = 0;
};

// Runs `fn` `warmup` times untimed, then `reps` times, each timed with a
// steady clock. Returns seconds per run.
std::vector<double> time_runs(const std::function<void()>& fn, int warmup, int reps);

Spread spread_of(std::vector<double> samples);

// One timed call of `fn`: its wall time, and the CPU time this process's
// threads used during it (CLOCK_PROCESS_CPUTIME_ID), both in seconds.
struct WallAndCpu {
  double wall = 0, cpu = 0;
};
WallAndCpu time_wall_and_cpu(const std::function<void()>& fn);

// The spread of `work / seconds` (a rate): the fastest run gives the max.
Spread rate_spread(const std::vector<double>& seconds, double work);

json spread_json(const Spread& s);

}  // namespace grid
