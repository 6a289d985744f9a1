// job-run: run tasks on the local GPU or CPU and emit signed results with a
// proof trace.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "jobs/job_run.h"

int main(int argc, char** argv) {
  grid::Tool tool("job-run", "Run tasks (or leases wrapping tasks) and emit signed results with proof traces");
  grid::RunOptions opt;
  CLI::App& app = tool.app();
  app.add_option("files", opt.inputs, "Task or lease files or URLs of JSON Lines (default: stdin)")
      ->type_name("FILE");
  app.add_option("--task-index", opt.task_index,
                 "Run only task N (0-based) of the input; 'env' reads SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
      ->type_name("N|env");
  app.add_option("--mode", opt.mode, "exact (bit-reproducible) or fast (checked by tolerance); default: the task's")
      ->check(CLI::IsMember({"exact", "fast"}));
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N (default auto); exec tasks on cuda get the NVIDIA "
                                       "devices bound in")->type_name("DEVICE");
  app.add_option("--store", opt.store, "Content store folder (default $XDG_DATA_HOME/gridutils/store)")
      ->type_name("DIR")
      ->check(grid::nonempty_check("folder"));
  app.add_option("--publish", opt.publish,
                 "PUT each result and the store objects it names to this URL (WebDAV, s3://, file://)")
      ->type_name("URL");
  tool.add_retries_flag(app, "inputs by URL and --publish");
  app.add_option("--threads", opt.threads, "CPU threads (default: every core)")->check(CLI::Range(0, 4096));
  app.add_flag("--force", opt.force, "Recompute even when the store holds the task's result");
  app.add_flag("--resume", opt.resume, "Continue an interrupted training run from its last checkpoint");
  app.add_option("--now", opt.now, "The time the run starts at, for lease deadlines: RFC 3339 or epoch seconds "
                                   "(default: the clock)")
      ->type_name("TIME");
  app.add_flag("--allow-network", opt.allow_network, "exec: give the network to tasks that ask for it (default: no task "
                                                     "gets it, and one that asks is refused)");
  app.add_flag("--pass", opt.pass, "Pass messages that are not tasks or leases through untouched");
  tool.add_key_flag(app);
  tool.add_keep_going_flag(app);
  return tool.run(argc, argv, [&] { return grid::job_run_main(tool, opt); });
}
