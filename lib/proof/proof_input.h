// What proof-check reads: results and challenge answers to check, and the
// tasks, leases, profiles and challenge requests the flags name. Shapes are
// checked here, once, so the checks may take fields and their types for
// granted; a message of the wrong shape is Exit::data naming the field.
#pragma once

#include <string>
#include <vector>

#include "proof/proof_modes.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

// A result message: envelope, id, task, type, header {task, mode} and,
// for a job kind, the kind's part as job-run writes it (proof_kinds.h).
void check_result_shape(const json& message);
// A challenge answer as gpu-bench writes it.
void check_answer_shape(const json& message);

// The entry to check for a result or an answer of the right shape, with
// its signature checked (a bad one is recorded, not thrown).
CheckEntry make_entry(json message, const Position& at);

// Each reads every file given, in order, through tool.each_message (so
// --keep-going applies), and throws Exit::data on a message that cannot be
// trusted: a task whose id does not match its content, a lease or profile
// with a bad id or signature, an unsigned profile.
void read_tasks(Tool& tool, const std::vector<std::string>& files, ProofInputs* in);
void read_leases(Tool& tool, const std::vector<std::string>& files, ProofInputs* in);
void read_profiles(Tool& tool, const std::vector<std::string>& files, ProofInputs* in);
// Seal messages {"kind":"seal","task":ID,"seal":"sha256:..."} signed by
// the provider who committed them; unsigned or badly signed is Exit::data.
void read_seals(Tool& tool, const std::vector<std::string>& files, ProofInputs* in);
void read_challenges(Tool& tool, const std::vector<std::string>& files, ProofInputs* in);

}  // namespace grid
