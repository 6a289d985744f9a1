// What a task costs in time on a measured machine. Each job kind counts its
// task's work in units (steps, GFLOP, checkpoints, ...); gpu-bench's "kinds"
// section measures what one unit of each costs in seconds, per numeric mode
// (doc/protocol.md, "profile"); a task's estimate is the sum of units times
// costs. The kinds are rows of one table (task_cost.cc), held to
// job_kinds() by a unit test.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

// Unit name -> how many of it the task is. Every kind has "task" = 1: the
// fixed cost of one job-run task (start, store writes, the result).
using TaskWork = std::map<std::string, double>;

struct TaskCostKind {
  const char* name;
  // The units of a spec that passed the kind's validation; nullopt with
  // *why when the spec does not say enough to count them.
  std::optional<TaskWork> (*work)(const json& spec, std::string* why);
};

const std::vector<TaskCostKind>& task_cost_kinds();

// The work of a task message ("type" and the kind's part); nullopt with
// *why for a kind without a row or a spec that cannot be counted.
std::optional<TaskWork> task_work(const json& task, std::string* why);

// Seconds for `work` at `costs` (seconds per unit, as a profile's
// kinds.<mode>.<kind>); nullopt with *why naming the unit it lacks.
std::optional<double> work_seconds(const TaskWork& work, const json& costs, std::string* why);

}  // namespace grid
