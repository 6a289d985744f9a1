// job-run: run tasks (or leases wrapping tasks) and emit signed results
// with a proof trace (doc/design.md, "Devices and numeric modes", "Proof of work").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "compute/device.h"
#include "compute/gemm.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

class Store;
class RankWorld;

struct RunOptions {
  std::vector<std::string> inputs;
  std::string task_index;  // "", a number, or "env"
  std::string mode;        // "", exact or fast: overrides the task's
  std::string device = "auto";
  std::string store;       // --store DIR
  std::string publish;     // --publish URL: results and their objects PUT there
  int threads = 0;
  bool force = false;      // recompute even when the store has the result
  bool resume = false;     // continue a killed run from its last checkpoint
  bool pass = false;       // pass messages that are not tasks through
  bool allow_network = false;  // --allow-network: exec tasks that ask get the network
  std::string now;         // --now: the time the run starts at, for lease deadlines ("" = the clock)
};

// What a kind's run function gets.
struct RunContext {
  Device device;
  std::string mode;  // exact | fast
  int threads = 0;
  bool resume = false;
  bool allow_network = false;  // exec: the provider lets tasks that ask use the network
  Store* store = nullptr;
  const json* task = nullptr;
  // The ranks a train task splits its batches across (nullptr: this
  // process alone). Every rank runs the kind; rank 0 writes the store and
  // returns the result, the others return null.
  RankWorld* ranks = nullptr;
  std::function<void(const std::string&)> progress;  // terminal only
  // `done` of `total` units ("steps", "rows") in `seconds`, from a kind's
  // natural progress points: the pace a lease's deadline is held against
  // (lease_deadline.h). The kind need not throttle it.
  std::function<void(int64_t done, int64_t total, const std::string& unit, double seconds)> pace =
      [](int64_t, int64_t, const std::string&, double) {};

  // Where a kind's matrix products run: this mode, device and thread count.
  GemmEngine gemm_engine() const {
    return GemmEngine{mode == "fast" ? NumericMode::fast : NumericMode::exact, device.backend == Backend::cuda,
                      threads};
  }
};

// "env": SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX; Exit::usage when
// neither is set or the value is not a number.
int64_t resolve_task_index(const std::string& flag);

int job_run_main(Tool& tool, const RunOptions& opt);

}  // namespace grid
