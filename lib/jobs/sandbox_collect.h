// Collection of a sandbox's /out (doc/design.md, "The exec sandbox"): a
// walk that never follows a link, never opens anything but folders and
// regular files, and stops as soon as a limit is passed, so that what a
// stranger's program left behind cannot make it block, read the host's
// files or run without end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jobs/sandbox.h"

namespace grid {

// Walks `out_dir` and hashes every regular file into `outputs`, in
// byte-wise path order. Returns "" or the reason the outputs are refused
// (SandboxOutcome::reason's "output size", "output files", "output type",
// "output name"); on refusal `outputs` is left empty.
std::string collect_outputs(const std::string& out_dir, const SandboxLimits& limits,
                            std::vector<OutputEntry>* outputs);

// The same walk counting entries and bytes only, reading no file, for the
// checks made while the program runs: "", "output size", "output files" or
// "output name" (folders nested too deep). Entries that change under it
// are skipped, never an error.
std::string tally_outputs(const std::string& out_dir, const SandboxLimits& limits);

// True when a name taken from /out can stand in a result as written: valid
// UTF-8 with no control character (a newline, a tab, DEL).
bool valid_output_name(std::string_view name);

}  // namespace grid
