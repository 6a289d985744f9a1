// The least-squares fit behind gpu-bench's kinds section: seconds per unit
// of a job kind's work (jobs/task_cost.h) from reference tasks of known
// work and measured time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "jobs/task_cost.h"

namespace grid {

// A reference task's work, and the seconds it took (a median of runs).
struct Measured {
  TaskWork work;
  double seconds = 0;
};

// How many `unit`s `work` counts: 0 when it names none.
double units_of(const TaskWork& work, const std::string& unit);

// The seconds of each unit in `unknown`, fitted to `runs` after the
// first, each taken relative to the first (what every run shares, such as
// the fixed cost of a task, drops out), with residuals relative to each
// run's time (a 2 s run and a 20 ms run count alike). `known` costs (unit
// -> seconds) are taken out first. Non-negative: a unit that the noise
// would make negative is 0 and the rest are fitted again without it, not
// merely clamped (which would leave the others fitted to a wrong model).
std::map<std::string, double> fit_unit_costs(const std::vector<Measured>& runs, const std::vector<std::string>& unknown,
                                             const json& known);

// Seconds of `work` at `costs`, leaving out the units named in `skip`.
double seconds_at(const TaskWork& work, const json& costs, const std::string& skip = "");

}  // namespace grid
