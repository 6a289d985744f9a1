// gpu-bench: measure this machine into a (signed) capability profile, or
// answer a buyer's proof-of-GPU challenge.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "measure/gpu_bench.h"

int main(int argc, char** argv) {
  grid::Tool tool("gpu-bench", "Measure this machine's GEMM, memory, PCIe and NCCL performance into a profile");
  grid::BenchOptions opt;
  CLI::App& app = tool.app();
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N (default auto)")->type_name("DEVICE");
  app.add_flag("--quick", opt.quick, "Small sizes and few repetitions: seconds, not minutes");
  app.add_option("--only", opt.only, "Run only these sections: gemm, mem, pcie, nccl, kinds, render")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"gemm", "mem", "pcie", "nccl", "kinds", "render"}));
  app.add_option("--kinds", opt.kinds,
                 "The kinds section measures only these job kinds: gemm, train, infer, exec (render's costs come "
                 "with gemm's)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"gemm", "train", "infer", "exec"}));
  app.add_option("--threads", opt.threads, "CPU threads (default: every core)")->check(CLI::Range(0, 4096));
  app.add_flag("--sign", opt.sign, "Insist on signing the output (a key is required)");
  app.add_option("--challenge", opt.challenge, "Answer the challenge messages in FILE (- for stdin)")
      ->type_name("FILE")
      ->check([](const std::string& s) { return s.empty() ? std::string("needs a FILE or -") : std::string(); });
  app.add_option("--challenge-runs", opt.challenge_runs,
                 "Time each challenge's GEMM up to N runs and answer with the fastest (default 5)")
      ->type_name("N")
      ->check(CLI::Range(1, grid::kMaxChallengeRuns));
  tool.add_key_flag(app);
  tool.add_format_flag(app);
  tool.add_keep_going_flag(app);
  tool.add_retries_flag(app, "--challenge by URL");
  return tool.run(argc, argv, [&] { return grid::gpu_bench_main(tool, opt); });
}
