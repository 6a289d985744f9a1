// What proof-check knows of each job kind (jobs/job_spec.h), one row a
// kind: the shape of the kind's part of a result, and the kind's own check
// in each mode that checks kinds apart. A mode's row (proof_modes.h) says
// what it does for every kind alike; a unit test holds these rows and
// job_kinds() to the same names.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proof/proof_modes.h"

namespace grid {

struct ProofKind {
  const char* name;  // the job kind's, as in job_kinds()
  // Checks a result's part (the object under the kind's name) as job-run
  // writes it; Exit::data naming the field under `path` (".train").
  void (*check_part)(const json& part, const std::string& path);
  // The kind's check in each mode, by mode name, where the mode's row has
  // none for every kind; a mode named nowhere does not apply to the kind.
  std::vector<std::pair<std::string, ModeFn>> checks;
};

const std::vector<ProofKind>& proof_kinds();
// nullptr when `name` is no job kind.
const ProofKind* find_proof_kind(const std::string& name);

// The shapes of the kinds' result parts (proof_input.cc).
void check_train_part(const json& part, const std::string& path);
void check_gemm_part(const json& part, const std::string& path);
void check_infer_part(const json& part, const std::string& path);
void check_render_part(const json& part, const std::string& path);
// The exec kind's (proof_exec.cc, beside its checks).
void check_exec_part(const json& part, const std::string& path);

}  // namespace grid
