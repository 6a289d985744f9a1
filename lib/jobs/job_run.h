// job-run: run tasks (or leases wrapping tasks) and emit signed results
// with a proof trace (doc/design.md, "Devices and numeric modes", "Proof of work").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "compute/device.h"
#include "core/tool.h"

namespace grid {

class Store;

// Names the code that produced a result (header.kernel): a verifier
// re-executes with the same definitions (exact_gemm.h, mlp.h) or knows it
// cannot. Fast mode's bits depend on the BLAS and libm at hand; it is
// checked by tolerance, and any kernel name starting with kFastKernelFamily
// is fast mode.
constexpr const char* kExactKernel = "grid-exact-1";
constexpr const char* kFastKernelFamily = "grid-fast-1";
constexpr const char* kFastKernel = "grid-fast-1 (OpenBLAS, libm)";
constexpr const char* kFastKernelCuda = "grid-fast-1 (cuBLAS FP32, libm)";

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
};

// What a kind's run function gets.
struct RunContext {
  Device device;
  std::string mode;  // exact | fast
  int threads = 0;
  bool resume = false;
  Store* store = nullptr;
  const json* task = nullptr;
  std::function<void(const std::string&)> progress;  // terminal only
};

// The task inside a message: a task itself, or a lease's "task". Returns
// nullptr for anything else (passed through with --pass).
const json* task_of(const json& message);

// "env": SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX; Exit::usage when
// neither is set or the value is not a number.
int64_t resolve_task_index(const std::string& flag);

// The output a result commits to (train: final.state_sha256, gemm:
// c_sha256, infer: predictions_sha256); "" when it has none.
std::string result_output(const json& result);

// A result's seal: "sha256:" + SHA-256 of "gridutils seal v1\n" provider
// "\n" task "\n" output. Bound to the provider's key, it is what a provider
// publishes before anyone reveals a result, so that a provider who copies
// another's published output cannot show a seal committed before it saw it
// (proof-check --mode quorum --seals).
std::string result_seal(const std::string& provider, const std::string& task_id, const std::string& output);

int job_run_main(Tool& tool, const RunOptions& opt);

}  // namespace grid
