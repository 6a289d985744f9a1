// Job specs and the tasks cut from them (doc/protocol.md, "job" and "task"). The
// job kinds (gemm, train, infer, exec, render) are rows of one registry table. A new kind
// is its row here (job_spec.cc) with its own validate / split / run (its
// files, declared in job_kinds.h), and, a layer up, its row in
// proof-check's kind table (proof/proof_kinds.h: its result's shape and its
// checks, in its own files), which a unit test holds to this table; no
// other code names kinds. Its documentation: the man pages of job-split,
// job-run and proof-check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

struct SplitOptions {
  int64_t shard_rows = 0;  // --shard-rows: rows per task (infer, gemm)
  int64_t tasks = 0;       // --tasks: number of tasks (infer, gemm)
  struct Share {
    std::string provider;  // ed25519:<hex> of the profile's signer
    std::string profile;   // the profile's id
    double rate = 0;       // its measured exact GEMM TFLOP/s
    double render_rate = 0;  // its Cycles samples per second; 0 without Blender
  };
  std::vector<Share> weights;  // --weights: shards in proportion to rate
};

// One piece of a job, before the task envelope is put around it.
struct TaskBody {
  json spec;           // the kind's own part, e.g. {"m":..,"row_begin":..}
  double flops = 0;    // estimated floating-point operations
  std::string provider, profile;  // intended provider, when weighted
};

struct RunContext;  // job_run.h

// Where a spec is to run: on this machine (job-split, job-run,
// proof-check), or on a provider's (lease-bid order), which can read only
// the inputs a URL names, not a path on the buyer's disk.
enum class RunsOn { here, elsewhere };

struct JobKind {
  const char* name;
  // The one check of a spec's content, for a job and for each of its
  // tasks alike: what it accepts, job-run can run (limits, labels, fields;
  // an unknown field is an error, never a silent default). Throws
  // Error(Exit::data) naming the field, e.g. ".gemm.m".
  void (*validate)(const json& spec, const std::string& path, RunsOn where);
  std::vector<TaskBody> (*split)(const json& spec, uint64_t job_seed, const SplitOptions& opt);
  // Runs one task's spec; returns the kind's part of the result.
  json (*run)(const json& task, RunContext& ctx);
  // Where a result of this kind holds the digest of its output (a JSON
  // pointer): what quorum compares and a seal commits to.
  const char* output;
};

// The registry, and a look-up that throws Error(Exit::data) at `field`.
const std::vector<JobKind>& job_kinds();
const JobKind& job_kind(const std::string& name, const std::string& field = ".type");

// Checks a job message: envelope, "type", "mode" (exact|fast, default
// exact) and the kind's own spec under the key named like the type.
void validate_job(const json& job);

// A task's place in its job, as its result repeats it: `job` a hash,
// `index` and `seed` integers in 0..2^53 (the index below `count`, an
// integer from 1, where that is given); each null where the task has none
// (gpu-bench's reference tasks). validate_task checks them by this; a
// stranger's value is never signed into a result unchecked. Throws
// Error(Exit::data) naming the field.
struct TaskPlace {
  json job, index, seed;
};
TaskPlace task_place(const json& task, const std::string& at = "");

// Checks a task's content as validate_job checks a job's, by the same
// kind validator: what job-run checks before running a task, lease-bid
// order before offering one (where = elsewhere) and proof-check before
// trusting one. `at` is the task's own path in its message (".task" in an
// order, "" for a task message). Not its id nor signature. Returns the
// task's place (task_place), read on the way.
TaskPlace validate_task(const json& task, const std::string& at = "", RunsOn where = RunsOn::here);

// The job's seed: its spec's "seed" where it has one, else derived from
// the job id.
uint64_t job_seed(const json& job);

// A task's own seed: the first 53 bits of SHA-256(job id ":" index), so
// tasks draw independent streams and anyone can recompute them.
uint64_t task_seed(const std::string& job_id, int64_t index);

// Cuts a (validated) job into signed-ready task messages, in order.
std::vector<json> split_job(const json& job, const SplitOptions& opt);

// Largest-remainder split of `total` into parts proportional to `weights`
// (all >= 0, not all 0). Deterministic; the parts sum to `total`.
std::vector<int64_t> proportional_parts(int64_t total, const std::vector<double>& weights);

// Even split of `total` into `parts` contiguous ranges ([begin, end)).
std::vector<std::pair<int64_t, int64_t>> even_ranges(int64_t total, int64_t parts);

}  // namespace grid
