// proof-check: verify results and proof-of-GPU challenge answers; one
// signed verdict per message, exit 1 if any is rejected, 3 if none is but
// one is inconclusive.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "proof/proof_check.h"

int main(int argc, char** argv) {
  grid::Tool tool("proof-check", "Verify results and challenge answers by signature, trace and re-execution; "
                                 "write signed verdicts");
  grid::ProofOptions opt;
  CLI::App& app = tool.app();
  app.add_option("files", opt.inputs, "Result or challenge answer files or URLs of JSON Lines (default: stdin)")
      ->type_name("FILE");
  app.add_option("--mode", opt.modes, "Modes to run: sig, trace, spot, rows, freivalds, rerun, compare, pinpoint, quorum, challenge "
                                      "(default sig,trace,spot)")
      ->check(CLI::IsMember(grid::proof_mode_names()))
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--tasks", opt.tasks, "Task messages the results answer (needed to re-execute)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--leases", opt.leases, "Lease messages: the signer must be the lease's provider (their tasks count as --tasks)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--seals", opt.seals, "quorum: seal messages committed before the results were revealed")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--profile", opt.profiles, "Signed gpu-bench profiles to hold challenge answers' speed against")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--challenges", opt.challenges, "The challenge requests the answers must answer")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--store", opt.store, "Content store with the provider's checkpoints and outputs "
                                       "(default $XDG_DATA_HOME/gridutils/store)")
      ->type_name("DIR")
      ->check(grid::nonempty_check("folder"));
  app.add_option("--store-url", opt.store_url, "The provider's store over http(s), s3:// or file:// (objects at URL/sha256/ab/cdef...)")
      ->type_name("URL");
  auto* samples = app.add_option("--samples", opt.samples, "Re-execute this many segments (rows) of each result")
                      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--detect", opt.detect, "Draw enough samples to catch a cheat with this probability (default 0.99)")
      ->excludes(samples);
  app.add_option("--cheat-fraction", opt.cheat_fraction, "The fraction of faked work --detect is computed for (default 0.1)");
  app.add_option("--budget", opt.budget, "Re-execute at most this fraction of each task's compute (default 1: no cap)");
  app.add_option("--k", opt.quorum, "quorum: distinct providers that must agree on an output (default 2)");
  app.add_option("--slow-factor", opt.slow_factor, "challenge: reject answers slower than this times the profile's rate "
                                                   "(default 0.5)");
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N for re-execution (default auto)")
      ->type_name("DEVICE");
  tool.add_retries_flag(app, "inputs by URL and --store-url");
  app.add_option("--threads", opt.threads, "CPU threads (default: every core)")->check(CLI::Range(0, 4096));
  app.add_option("--now", opt.now, "The time the check starts at, for lease deadlines: RFC 3339 or epoch seconds "
                                   "(default: the clock)")
      ->type_name("TIME");
  app.add_flag("--pass", opt.pass, "Pass messages that are not results or challenge answers through untouched");
  tool.add_format_flag(app);
  tool.add_key_flag(app);
  tool.add_keep_going_flag(app);
  return tool.run(argc, argv, [&] { return grid::proof_check_main(tool, opt); });
}
