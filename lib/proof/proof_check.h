// proof-check: verify results (and proof-of-GPU challenge answers) and
// write one signed verdict per message (doc/design.md, "Proof of work"). The modes are
// the rows of proof_modes(); this file reads the inputs, runs the modes
// asked for on each message, and turns their reports into verdicts.
#pragma once

#include <string>
#include <vector>

#include "proof/proof_modes.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

// The modes named by --mode (comma-separated, or given several times), in
// table order; Exit::usage naming an unknown one.
std::vector<const ProofMode*> parse_mode_list(const std::vector<std::string>& names);

// The verdict message (unsigned) for one entry from its mode reports.
struct ModeRun {
  const ProofMode* mode;
  ModeReport report;
};
json make_verdict(const CheckEntry& entry, const std::vector<ModeRun>& runs, const std::vector<std::string>& skipped,
                  const Draw& draw, double seconds);

// The whole tool. Exit::negative (1) when any verdict rejects, else
// Exit::inconclusive (3) when any is inconclusive, else Exit::ok.
int proof_check_main(Tool& tool, const ProofOptions& opt);

}  // namespace grid
