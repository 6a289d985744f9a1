// proof-check for exec results (doc/design.md, "Verifying a stranger's
// program"). trace: what the result commits to holds together (run_sha256
// over its fields, output_root over its outputs, the stored files where at
// hand). rerun: sampled tasks of the job run again in the same sandbox,
// every committed field compared. compare: the buyer's comparator, run in
// the sandbox with the result's outputs at /a and the rerun's at /b, says
// whether they are equivalent (exit 0), for programs whose outputs agree
// only within a tolerance.
//
// The sample is over tasks, not pieces of one result: the verifier signs
// draw_message over the SHA-256 of the ids of the job's exec results under
// check (sorted, one a line), and draw_indices(seed, mode, n, q) picks q of
// the job's n tasks (sorted by task id), q from --samples or --detect
// against --cheat-fraction. A task not drawn passes with the job's
// detection probability; the verdict carries the draw, so anyone can redo it.
#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/fields.h"
#include "core/store.h"
#include "jobs/exec_run.h"
#include "jobs/exec_spec.h"
#include "proof/proof_kinds.h"
#include "proof/proof_modes.h"

namespace grid {
namespace {

// The job's tasks this run checks, and the draw over them for `purpose`.
struct TaskSample {
  std::vector<std::string> tasks;  // sorted
  std::set<std::string> drawn;
  std::string over;                // the SHA-256 the verifier signed
  Draw draw;
  double detection = 0;
};

TaskSample sample_tasks(const CheckContext& c, const std::string& purpose) {
  TaskSample s;
  const json& job = c.message().contains("job") ? c.message()["job"] : json();
  std::set<std::string> tasks, ids;
  for (const CheckEntry& e : *c.entries) {
    if (e.type != c.entry->type || (e.message.contains("job") ? e.message["job"] : json()) != job) continue;
    tasks.insert(e.task_id);
    ids.insert(e.message["id"].get<std::string>());
  }
  s.tasks.assign(tasks.begin(), tasks.end());
  std::string list;
  for (const std::string& id : ids) list += id + "\n";
  s.over = sha256_ref(sha256(list));
  s.draw = make_draw(*c.key, s.over);
  const int64_t n = static_cast<int64_t>(s.tasks.size());
  const int64_t q = sample_count(*c.opt, n, n);
  for (int64_t i : draw_indices(s.draw.seed, purpose, n, q)) s.drawn.insert(s.tasks[static_cast<size_t>(i)]);
  s.detection = sample_detection(*c.opt, n, q);
  return s;
}

json sample_checked(const TaskSample& s) {
  return {{"tasks", s.tasks.size()},
          {"sampled", s.drawn.size()},
          {"draw", {{"over", s.over}, {"sig", hex(s.draw.sig)}, {"seed", hex(s.draw.seed)}}}};
}

// The verifier's own run of the entry's task, once per task and run.
const json& rerun_of(CheckContext& c) {
  const std::string key = "exec rerun " + c.entry->task_id;
  auto it = c.memo->find(key);
  if (it != c.memo->end()) return it->second;
  Store store(c.store->dir());
  ExecHost host;
  host.cuda = c.device.backend == Backend::cuda;
  host.cuda_index = c.device.index;
  json part = exec_execute(*c.task, store, host);
  return (*c.memo)[key] = std::move(part);
}

// The fields a rerun must reproduce, in the order a difference is named.
constexpr const char* kCommitted[] = {"status", "reason", "exit_code", "signal", "output_root",
                                      "stdout_sha256", "stderr_sha256", "run_sha256"};

// The first committed field where `mine` and `theirs` differ; "" when none.
std::string first_difference(const json& mine, const json& theirs) {
  for (const char* f : kCommitted)
    if (mine[f] != theirs[f]) return f;
  return "";
}

// Why a rerun cannot reproduce this task; "" when it can.
std::string unrepeatable(const json& task) {
  if (task["exec"].value("network", false))
    return "the task uses the network, which a rerun cannot reproduce (verify it by quorum)";
  return "";
}

// The result's outputs laid out under `dir` from the provider's store;
// "" when done, else why not.
std::string place_provider_outputs(const CheckContext& c, const std::vector<OutputEntry>& outputs,
                                   const std::string& dir) {
  Store store(c.store->dir());
  std::vector<std::pair<std::string, Digest>> files;
  for (const OutputEntry& o : outputs) {
    Fetched f = fetch_object(c, o.sha256);
    if (f.state != Fetched::State::found) return "output " + o.path + ": " + f.problem;
    store.put(f.bytes);
    files.emplace_back(o.path, o.sha256);
  }
  place_files(store, files, dir);
  return "";
}

}  // namespace

void check_exec_part(const json& part, const std::string& p) {
  get_choice(part, "status", p, {"ok", "failed"});
  get_string(part, "reason", p);
  get_int(part, "exit_code", p, -1, 255);
  get_int(part, "signal", p, 0, 255);
  exec_outputs(get_array(part, "outputs", p), p + ".outputs");
  for (const char* f : {"output_root", "stdout_sha256", "stderr_sha256", "run_sha256"}) require_ref(part, f, p);
}

ModeReport check_trace_exec(CheckContext& c) {
  const json& part = c.message()["exec"];
  const std::vector<OutputEntry> outputs = exec_outputs(part["outputs"], ".exec.outputs");
  json checked = {{"outputs", outputs.size()}};
  if (const std::string run = exec_run_sha256(part); run != part["run_sha256"])
    return ModeReport::fail("run_sha256 " + part["run_sha256"].get<std::string>() + " is not the SHA-256 of the "
                            "result's status, reason, exit code, output root and stdio hashes (" + run + ")",
                            checked);
  for (size_t i = 1; i < outputs.size(); ++i)
    if (!(outputs[i - 1].path < outputs[i].path))
      return ModeReport::fail("outputs are not in path order at " + outputs[i].path, checked);
  if (const std::string root = sha256_ref(output_root(outputs)); root != part["output_root"])
    return ModeReport::fail("output_root " + part["output_root"].get<std::string>() + " is not the root of the "
                            "outputs listed (" + root + ")", checked);
  if (c.task && part["status"] == "ok" && (*c.task)["exec"].contains("outputs")) {
    std::set<std::string> made;
    for (const OutputEntry& o : outputs) made.insert(o.path);
    for (const json& want : (*c.task)["exec"]["outputs"])
      if (!made.count(want.get<std::string>()))
        return ModeReport::fail("status ok without the output " + want.get<std::string>() + " the task expects", checked);
  }
  // The stored files, where the verifier can read them, are the outputs.
  int64_t stored = 0;
  for (const OutputEntry& o : outputs) {
    Fetched f = fetch_object(c, o.sha256);
    if (f.state == Fetched::State::corrupt)
      return ModeReport::fail("the stored output " + o.path + " does not hash to its sha256: " + f.problem, checked);
    if (f.state == Fetched::State::absent) continue;
    if (f.bytes.size() != o.size)
      return ModeReport::fail("the stored output " + o.path + " has " + std::to_string(f.bytes.size()) +
                              " bytes, the result says " + std::to_string(o.size), checked);
    ++stored;
  }
  checked["stored"] = stored;
  return ModeReport::pass(checked);
}

ModeReport check_rerun_exec(CheckContext& c) {
  const TaskSample s = sample_tasks(c, "rerun");
  json checked = sample_checked(s);
  checked["rerun"] = s.drawn.count(c.entry->task_id) > 0;
  if (!checked["rerun"].get<bool>()) return ModeReport::pass(checked, s.detection);
  if (!c.task) return task_not_given(c, "rerun runs it again", checked);
  if (const std::string why = unrepeatable(*c.task); !why.empty()) return ModeReport::inconclusive(why, checked);
  const json& mine = c.message()["exec"];
  const json& again = rerun_of(c);
  checked["run_sha256"] = again["run_sha256"];
  if (const std::string f = first_difference(mine, again); !f.empty())
    return ModeReport::fail("the rerun's " + f + " is " + again[f].dump() + ", the result's " + mine[f].dump(), checked);
  return ModeReport::pass(checked, s.detection);
}

ModeReport check_compare_exec(CheckContext& c) {
  const TaskSample s = sample_tasks(c, "compare");
  json checked = sample_checked(s);
  checked["rerun"] = s.drawn.count(c.entry->task_id) > 0;
  if (!checked["rerun"].get<bool>()) return ModeReport::pass(checked, s.detection);
  if (!c.task) return task_not_given(c, "compare runs it again", checked);
  const std::vector<std::string> comparator = exec_comparator((*c.task)["exec"]);
  if (comparator.empty())
    return ModeReport::inconclusive("the task names no comparator (\"verify\": {\"compare\": argv})", checked);
  if (const std::string why = unrepeatable(*c.task); !why.empty()) return ModeReport::inconclusive(why, checked);
  const json& mine = c.message()["exec"];
  const json& again = rerun_of(c);
  checked["run_sha256"] = again["run_sha256"];
  if (mine["status"] != again["status"])
    return ModeReport::fail("the rerun's status is " + again["status"].dump() + ", the result's " + mine["status"].dump(),
                            checked);
  if (mine["run_sha256"] == again["run_sha256"]) {
    checked["identical"] = true;
    return ModeReport::pass(checked, s.detection);
  }
  // The comparator runs in the task's own sandbox, its command swapped.
  Store store(c.store->dir());
  ExecFolder work(store);
  const std::string a = work.sub("a"), b = work.sub("b");
  if (const std::string why = place_provider_outputs(c, exec_outputs(mine["outputs"], ".exec.outputs"), a); !why.empty())
    return ModeReport::inconclusive("the result's outputs are not at hand: " + why, checked);
  std::vector<std::pair<std::string, Digest>> ours;
  for (const OutputEntry& o : exec_outputs(again["outputs"], ".exec.outputs")) ours.emplace_back(o.path, o.sha256);
  place_files(store, ours, b);
  json task = *c.task;
  task["exec"]["command"] = comparator;
  SandboxSpec sb = exec_sandbox(task, store, ExecHost{}, work);
  sb.ro_binds.push_back({a, "/a"});
  sb.ro_binds.push_back({b, "/b"});
  sb.out_dir = work.sub("out");
  const SandboxOutcome o = run_sandboxed(sb);
  checked["comparator"] = o.status == "ok" ? "equivalent" : o.reason;
  if (o.status != "ok")
    return ModeReport::fail("the comparator finds the result's outputs and the rerun's not equivalent (" + o.reason + ")",
                            checked);
  return ModeReport::pass(checked, s.detection);
}

}  // namespace grid
