// A provider's own price script, run under Akash's contract: the order's
// resources as JSON on its stdin, one decimal price (micro-units) on its
// stdout. A non-zero exit, a signal, empty or unreadable output, zero or a
// negative price mean "no bid"; a script still running after the timeout
// is killed with its whole process group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace grid {

struct ScriptOutcome {
  // Ok when the script made a price; else why it makes no bid ("the price
  // script exited with status 1", "... timed out after 1 s ...", ...).
  Status priced = Status::Fail("the price script has not run");
  // The script failed rather than declined: it timed out, was killed by a
  // signal, or printed something that is not a price. lease-bid warns of
  // these on every run; an exit status, no output or "0" is a script's
  // own "no bid" and is said only with --explain.
  bool faulty = false;
  int64_t price = 0;   // micro-units, when priced
  double amount = 0;   // the number it printed, when priced (--price-script-format akash converts it)
  std::string output;  // what the script printed (trimmed, at most kMaxScriptOutput bytes)
};

// Bytes of a script's stdout kept; a price needs a few dozen.
constexpr size_t kMaxScriptOutput = 4096;

// One run of the script: its stdin, and "NAME=value" entries its
// environment gets beside ours (an Akash script's AKASH_OWNER).
struct ScriptRequest {
  std::string input;
  std::vector<std::string> env;
};

// Runs `command` through /bin/sh -c once per request, at most `jobs` at a
// time, each killed after `timeout_s` seconds. Results in request order.
// The script's stderr is ours, so its complaints reach the cron log.
std::vector<ScriptOutcome> run_price_script(const std::string& command, const std::vector<ScriptRequest>& requests,
                                            double timeout_s, int jobs);

}  // namespace grid
