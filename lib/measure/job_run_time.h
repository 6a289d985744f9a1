// What a provider pays for one task, timed from outside: job-run started
// on a task file, as lease-bid's estimate is meant to predict. Shared by
// gpu-bench's kinds section (the fixed cost of a task) and make bench's
// kind_estimate (the actual it compares the estimate against).
#pragma once

#include <optional>
#include <string>

namespace grid {

// job-run beside the running program, else "job-run" (found on PATH).
std::string job_run_path();

struct JobRunCall {
  std::string job_run = job_run_path();
  std::string device = "cpu";  // --device
  int threads = 0;             // --threads; <= 0: job-run's default
  std::string store;           // --store
  std::string task_file;       // the task, one JSON line
};

// Wall seconds of `job-run --device D [--threads N] --force --quiet
// --store S TASK` from spawn to exit (stdout and stderr to /dev/null);
// nullopt when it cannot be started or does not exit 0.
std::optional<double> time_job_run(const JobRunCall& call);

}  // namespace grid
