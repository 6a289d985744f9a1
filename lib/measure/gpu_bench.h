// gpu-bench: measure this machine into a capability profile. The sections
// (gemm, mem, pcie, nccl, kinds, render) are rows of one table; each fills its part of the
// profile and reports faults.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "compute/device.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"
#include "measure/challenge.h"

namespace grid {

class Tool;

struct BenchOptions {
  std::string device = "auto";
  bool quick = false;
  std::vector<std::string> only;  // section names; empty means all
  std::vector<std::string> kinds;  // job kinds the kinds section measures; empty means all
  int threads = 0;                // CPU threads; <= 0 means every core
  bool sign = false;              // a key is required
  std::string challenge;          // FILE or "-": answer challenges instead
  int challenge_runs = kDefaultChallengeRuns;  // timed runs per answer, the fastest reported
};

struct BenchContext {
  Device device;
  bool quick = false;
  int threads = 0;
  std::vector<std::string> kinds;   // BenchOptions::kinds
  std::vector<std::string> faults;  // a section adds one per failed check
  std::function<void(const std::string&)> progress;
};

struct BenchSection {
  const char* name;
  const char* what;
  json (*run)(BenchContext& ctx);
};

// The table of sections, in the order they run.
const std::vector<BenchSection>& bench_sections();

json bench_gemm(BenchContext& ctx);
json bench_memory(BenchContext& ctx);
json bench_pcie(BenchContext& ctx);
json bench_nccl(BenchContext& ctx);
json bench_kinds(BenchContext& ctx);
json bench_render(BenchContext& ctx);

// The render kind's costs, added to each mode of a profile's `kinds`
// section from its `render` section (when both were measured): a task's
// fixed cost and store costs as the gemm kind's (job-run's own, no kind's
// work), `blender_start` its render.startup_seconds plus
// render.first_render_seconds (a task is one Blender run: one start, one
// first render), `frame` render.frame_seconds, and `msample` (10^6 pixel
// samples) at render.samples_per_s.
void add_render_costs(json& kinds, const json& render);

// Builds the profile body (unsigned, no id) for `opt` on `device`.
json measure_profile(const BenchOptions& opt, const Device& device,
                     const std::function<void(const std::string&)>& progress);

// Human table of a profile, for --format table.
std::string profile_table(const json& profile);

// The whole tool: a profile on stdout, or challenge answers with --challenge.
int gpu_bench_main(Tool& tool, const BenchOptions& opt);

}  // namespace grid
