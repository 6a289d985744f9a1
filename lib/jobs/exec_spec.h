// The exec kind's spec (doc/protocol.md, "exec"): the buyer's own program,
// its image, inputs, limits and how it is verified, and the pieces a task
// cut from it holds. Shared by job-run, proof-check's rerun and compare,
// and any kind that runs a foreign program the same way (render).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "jobs/sandbox.h"

namespace grid {

// The limits a spec may name, with their defaults (SandboxLimits{}) and
// maxima: one row a limit, so validation, the man page and the run read
// the same names.
struct ExecLimitField {
  const char* name;      // as in the spec's "limits" and SandboxLimits
  double max;            // the most a spec may ask for
  bool whole;            // an integer count of bytes or things
};
const std::vector<ExecLimitField>& exec_limit_fields();

// Checks a "limits" object (names from exec_limit_fields, each 1..max).
void validate_exec_limits(const json& limits, const std::string& path);
// SandboxLimits{} with the spec's "limits" (validated) applied.
SandboxLimits exec_limits(const json& spec);

// Checks an argv (1..kMaxArgs strings, argv[0] not empty, no NUL).
void validate_argv(const json& argv, const std::string& path);
// Checks an "image": "host", or {"sha256", "url"} of a rootfs tarball.
void validate_image(const json& image, const std::string& path);

// The environment every exec task gets before the spec's own "env":
// nothing of the provider's; the names the spec may not set.
std::map<std::string, std::string> exec_base_env(int64_t task_index, uint64_t task_seed);
bool exec_reserved_env(const std::string& name);

// Replaces {index}, {start}, {end} and {item} in `text` with their values
// in `part` (a task's "part"); other braces are left as written.
std::string exec_substitute(const std::string& text, const json& part);

// The comparator of a spec whose verify is {"compare": argv}; empty for
// rerun or quorum.
std::vector<std::string> exec_comparator(const json& spec);

}  // namespace grid
