// job-split: cut jobs (gemm, train with sweeps, infer) into tasks.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "jobs/data_spec.h"
#include "jobs/job_split.h"

int main(int argc, char** argv) {
  grid::Tool tool("job-split", "Cut jobs into tasks, optionally weighted by providers' measured speed");
  grid::SplitCommand cmd;
  CLI::App& app = tool.app();
  app.add_option("files", cmd.inputs, "Job files or URLs of JSON Lines (default: stdin)")->type_name("FILE");
  app.add_option("--weights", cmd.weights, "Signed gpu-bench profiles: shard in proportion to their exact GEMM rate (render: their render rate)")
      ->type_name("FILE");
  auto* rows = app.add_option("--shard-rows", cmd.shard_rows, "Rows per task for infer and gemm jobs (frames for render)")
                   ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  auto* tasks = app.add_option("--tasks", cmd.tasks, "Number of tasks for infer, gemm and render jobs")
                    ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  rows->excludes(tasks);
  app.get_option("--weights")->excludes(rows)->excludes(tasks);
  app.add_option("--delimiter", cmd.delimiter, "Delimiter of CSV data whose job names none (\\t: a tab)")
      ->type_name("C")
      ->transform([](std::string d) {
        if (d == "\\t") d = "\t";
        if (std::string why = grid::delimiter_problem(d); !why.empty()) throw CLI::ValidationError(why);
        return d;
      });
  app.add_flag("--pass", cmd.pass, "Pass messages that are not jobs through untouched");
  tool.add_key_flag(app);
  tool.add_keep_going_flag(app);
  tool.add_retries_flag(app, "jobs and --weights profiles by URL");
  return tool.run(argc, argv, [&] { return grid::job_split_main(tool, cmd); });
}
