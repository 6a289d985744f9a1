#include "jobs/job_run.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>

#include "core/error.h"
#include "core/fields.h"
#include "jobs/job_spec.h"
#include "jobs/lease_deadline.h"
#include "core/keyfile.h"
#include "core/message.h"
#include "core/net.h"
#include "core/rank_world.h"
#include "jobs/publish_result.h"
#include "jobs/result.h"
#include "core/store.h"
#include "core/timestamp.h"
#include "core/tool.h"

namespace grid {
namespace {


// A result run for a lease names that lease, so the lease is part of the key.
std::string result_ref(const std::string& task_id, const std::string& mode, const std::string& signer,
                       const std::string& lease) {
  return "result " + task_id + " " + mode + " " + (signer.empty() ? "unsigned" : signer) +
         (lease.empty() ? "" : " lease " + lease);
}

// How many ranks a task asks for: train.ranks, else 1. Only training
// splits across ranks.
int64_t task_ranks(const json& task) {
  const std::string type = get_string(task, "type", "");
  return type == "train" && task[type].contains("ranks") ? task[type]["ranks"].get<int64_t>() : 1;
}

// A launch of N ranks for a task that asks for M is refused before any
// work, on rank 0 (the other ranks wait for it).
void check_task_ranks(const json& task, const RankWorld& world) {
  const int64_t want = task_ranks(task);
  if (want == world.size()) return;
  const std::string type = get_string(task, "type", "");
  const std::string have = std::to_string(world.size()) + " rank" + (world.size() == 1 ? "" : "s") +
                           (world.from().empty() ? " (no mpirun or srun)" : " (" + world.from() + ")");
  Error e(Exit::usage, type == "train" ? "the task asks for " + std::to_string(want) + " rank(s), the run has " + have
                                       : "a " + type + " task runs on one rank, the run has " + have);
  if (type == "train") e.at_field(".train.ranks");
  throw e;
}

// Several ranks share one run: an error on any rank after the others have
// joined it ends them all (MPI_Abort), so none waits for a rank gone. Its
// one line names a rank other than 0, which reads no input of its own.
[[noreturn]] void end_all_ranks(const Tool& tool, RankWorld& world, const std::exception& e) {
  Error err = Tool::error_of(e);
  if (world.rank() > 0) {
    Error named(err.code(), "rank " + std::to_string(world.rank()) + " of " + std::to_string(world.size()) + ": " +
                                err.what());
    if (!err.field().empty()) named.at_field(err.field());
    err = named;
  }
  tool.report(err);
  world.abort(static_cast<int>(err.code()));
}

std::string run_mode(const RunOptions& opt, const json& task) {
  if (!opt.mode.empty()) return opt.mode;
  return task.contains("mode") ? get_choice(task, "mode", "", {"exact", "fast"}) : "exact";
}

RunContext run_context(const RunOptions& opt, const Device& device, const std::string& mode, Store& store,
                       RankWorld& world) {
  RunContext ctx;
  ctx.device = device;
  ctx.mode = mode;
  ctx.threads = opt.threads;
  ctx.resume = opt.resume;
  ctx.allow_network = opt.allow_network;
  ctx.store = &store;
  ctx.ranks = world.size() > 1 ? &world : nullptr;
  return ctx;
}

// Ranks 1..N-1: run each task rank 0 sends, until it sends none. Rank 0
// alone reads the input, writes the store and the results.
int follow_rank0(const Tool& tool, const RunOptions& opt, RankWorld& world, const Device& device, Store& store) {
  for (;;) {
    std::string line;
    world.broadcast(&line);
    if (line.empty()) return 0;
    try {
      const json task = json::parse(line);
      RunContext ctx = run_context(opt, device, run_mode(opt, task), store, world);
      ctx.task = &task;
      ctx.progress = [](const std::string&) {};
      job_kind(task["type"].get<std::string>()).run(task, ctx);
    } catch (const std::exception& e) {
      end_all_ranks(tool, world, e);
    }
  }
}

// Rank 0 tells the other ranks that no task follows, however its input ends.
struct LastTask {
  RankWorld& world;
  ~LastTask() {
    std::string none;
    if (world.size() > 1) world.broadcast(&none);
  }
};

}  // namespace

int64_t resolve_task_index(const std::string& flag) {
  std::string value = flag, from = "--task-index";
  if (flag == "env") {
    for (const char* name : {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}) {
      const char* v = std::getenv(name);
      if (v && *v) {
        value = v;
        from = name;
        break;
      }
    }
    if (value == "env") throw Error(Exit::usage, "--task-index env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set");
  }
  if (value.empty() || value.size() > 12 || value.find_first_not_of("0123456789") != std::string::npos)
    throw Error(Exit::usage, from + "=" + value + " is not a task index (0, 1, ...)");
  return std::stoll(value);
}

int job_run_main(Tool& tool, const RunOptions& opt) {
  if (!opt.mode.empty() && opt.mode != "exact" && opt.mode != "fast")
    throw Error(Exit::usage, "--mode must be exact or fast");
  const int64_t only = opt.task_index.empty() ? -1 : resolve_task_index(opt.task_index);
  if (!opt.publish.empty()) check_url_flag("--publish", opt.publish);
  const RunClock clock(opt.now);  // what a lease's deadline is held against
  std::optional<SigningKey> key;
  if (!tool.key_path().empty()) key = load_key(tool.key_path());
  const std::string signer = key ? public_key_ref(key->public_key) : "";
  std::string device_note;
  Device device = select_device(opt.device, &device_note);
  if (!device_note.empty()) tool.note(device_note);
  Store store = Store::from_flag(opt.store);
  RankWorld& world = rank_world();
  if (world.rank() > 0) return follow_rank0(tool, opt, world, device, store);
  LastTask last{world};
  const bool show = !tool.common().quiet && ::isatty(2);

  int64_t seen = 0;
  bool ran_selected = false;
  tool.each_message(opt.inputs, [&](json& m, const Position& at) {
    const json* found = task_of(m);
    if (!found) {
      if (opt.pass) return write_stdout(at.text + "\n");
      check_envelope(m);
      if (m["kind"] == "lease") throw data_error("the lease wraps no task (neither .task nor .order.task)", ".task");
      throw data_error("expected a task or a lease, got kind " + m["kind"].get<std::string>(), ".kind");
    }
    if (only >= 0 && seen++ != only) return;
    ran_selected = true;
    const json& task = *found;
    check_envelope(task);
    require_id_or_signature(task, "task");
    // A malformed task is an error before anything is said about its lease.
    const TaskPlace place = validate_task(task);
    // The result names its lease by id: an id the lease's content does not
    // give, or a signature that does not verify, would sign a stranger's
    // claim into it.
    if (&task != &m) require_id_or_signature(m, "lease");
    check_task_ranks(task, world);
    const std::string type = get_string(task, "type", "");
    const JobKind& kind = job_kind(type);
    const std::string task_id = task["id"];
    const std::string mode = run_mode(opt, task);

    const std::string lease_id = &task != &m ? m["id"].get<std::string>() : std::string();
    const std::string ref = result_ref(task_id, mode, signer, lease_id);
    std::optional<DeadlineWatch> watch;
    if (&task != &m && m.contains("deadline"))
      watch.emplace(lease_id, get_time(m, "deadline", ""), clock.now(),
                    [&](const std::string& text) { tool.note(text); });
    if (watch) watch->before();
    if (!opt.force) {
      if (auto cached = store.get_ref(ref); cached && store.has(*cached)) {
        tool.note("task " + task_id + ": result already in the store (--force recomputes it)");
        const std::string line = store.get(*cached);
        if (!opt.publish.empty()) publish_result(opt.publish, json::parse(line), line, store);
        write_stdout(line + "\n");
        return;
      }
    }
    RunContext ctx = run_context(opt, device, mode, store, world);
    ctx.task = &task;
    ctx.progress = [&](const std::string& what) {
      if (show) tool.note(what);
    };
    auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    if (watch)
      ctx.pace = [&](int64_t done, int64_t total, const std::string& unit, double took) {
        watch->pace(done, total, unit, took, elapsed());
      };
    json part;
    if (world.size() > 1) {
      std::string line = task.dump();
      world.broadcast(&line);
      try {
        part = kind.run(task, ctx);
      } catch (Error& e) {
        end_all_ranks(tool, world, e.at_line(at.line, at.source));
      } catch (const std::exception& e) {
        end_all_ranks(tool, world, e);
      }
    } else {
      part = kind.run(task, ctx);
    }
    double seconds = elapsed();
    if (watch) watch->finished(seconds);
    json header = {{"task", task_id}, {"mode", mode}, {"kernel", mode == "exact"                    ? kExactKernel
                                  : device.backend == Backend::cuda ? kFastKernelCuda
                                                                    : kFastKernel}, {"device", device.name()},
                   {"seed", place.seed}};
    if (part.contains("inputs")) {
      header["inputs"] = part["inputs"];
      part.erase("inputs");
    }
    json result = {{"kind", "result"}, {"v", kMessageVersion}, {"task", task_id}, {"type", type},
                   {"job", place.job}, {"index", place.index},
                   {"header", header}, {type, part}, {"timings", {{"seconds", seconds}}}};
    if (&task != &m) result["lease"] = lease_id;
    if (key) {
      if (const std::string out = result_output(result); !out.empty()) result["seal"] = result_seal(signer, task_id, out);
      sign_message(result, *key);
    }
    else set_message_id(result);
    const std::string line = result.dump(-1, ' ', false, json::error_handler_t::replace);
    store.put_ref(ref, store.put(line));
    // On stdout means published: a verifier can fetch whatever a result
    // that was written names.
    if (!opt.publish.empty()) publish_result(opt.publish, result, line, store);
    write_stdout(line + "\n");
  });
  if (only >= 0 && !ran_selected)
    throw Error(Exit::usage, "--task-index " + std::to_string(only) + ": the input has only " + std::to_string(seen) + " task(s)");
  return 0;
}

}  // namespace grid
