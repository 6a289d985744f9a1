// The sig mode: a result's id and signature, its header against its task,
// and with --leases, that the lease's provider signed it for the lease's
// task.
#include "jobs/job_spec.h"
#include "jobs/result.h"
#include "proof/proof_modes.h"

namespace grid {
namespace {

// Who a lease was awarded to: "provider", else the bid's provider or
// signer.
std::string lease_provider(const json& lease) {
  if (lease.contains("provider") && lease["provider"].is_string()) return lease["provider"];
  if (lease.contains("bid") && lease["bid"].is_object()) {
    const json& bid = lease["bid"];
    if (bid.contains("provider") && bid["provider"].is_string()) return bid["provider"];
    if (bid.contains("sig") && bid["sig"].is_object() && bid["sig"].contains("by") && bid["sig"]["by"].is_string())
      return bid["sig"]["by"];
  }
  return "";
}

// The task a lease is for: its task message's id, or a "task" id string.
std::string lease_task(const json& lease) {
  if (const json* t = task_of(lease); t && t->contains("id") && (*t)["id"].is_string()) return (*t)["id"];
  if (lease.contains("task") && lease["task"].is_string()) return lease["task"];
  return "";
}

ModeReport check_lease(const CheckContext& c, json& checked) {
  const json& r = c.message();
  const std::string task = c.entry->task_id;
  std::vector<const json*> candidates;
  if (r.contains("lease") && r["lease"].is_string()) {
    const std::string want = r["lease"];
    for (const json& l : c.in->leases)
      if (l.value("id", "") == want) candidates.push_back(&l);
    if (candidates.empty()) return ModeReport::fail("its lease " + want + " is not in --leases", checked);
  } else {
    for (const json& l : c.in->leases)
      if (lease_task(l) == task) candidates.push_back(&l);
    if (candidates.empty()) return ModeReport::fail("no lease in --leases is for task " + task, checked);
  }
  std::string why;
  for (const json* l : candidates) {
    const std::string lt = lease_task(*l), lp = lease_provider(*l);
    if (lt != task) {
      why = "the lease " + l->value("id", "") + " is for task " + (lt.empty() ? "(none)" : lt) + ", the result for " + task;
    } else if (lp != c.entry->signer) {
      why = "signed by " + c.entry->signer + ", but the lease " + l->value("id", "") + " was awarded to " +
            (lp.empty() ? "(no provider)" : lp);
    } else {
      checked["lease"] = l->value("id", "");
      return ModeReport::pass(checked);
    }
  }
  return ModeReport::fail(why, checked);
}

}  // namespace

ModeReport check_sig(CheckContext& c) {
  json checked = json::object();
  if (c.entry->signer.empty()) return ModeReport::fail(c.entry->sig_problem, checked);
  checked["signer"] = c.entry->signer;
  if (c.entry->type == "challenge") return ModeReport::pass(checked);
  const json& r = c.message();
  const json& header = r["header"];
  if (header["task"] != r["task"])
    return ModeReport::fail("header.task " + header["task"].get<std::string>() + " differs from task " +
                                r["task"].get<std::string>(),
                            checked);
  if (c.task) {
    const std::string type = (*c.task)["type"], mode = c.task->value("mode", "exact");
    if (type != c.entry->type)
      return ModeReport::fail("the task is a " + type + " task, the result a " + c.entry->type + " result", checked);
    if (header["mode"] != mode)
      return ModeReport::fail("the task asks for " + mode + " mode, the result was computed in " +
                                  header["mode"].get<std::string>() + " mode",
                              checked);
    // The task's place in its job, as job-run repeats it: a result that
    // says another (or a value of another type) is not this task's.
    const TaskPlace place = task_place(*c.task);
    const std::pair<const char*, json> repeated[] = {
        {"job", r.value("job", json())}, {"index", r.value("index", json())}, {"header.seed", header.value("seed", json())}};
    const json* want[] = {&place.job, &place.index, &place.seed};
    for (size_t i = 0; i < 3; ++i)
      if (repeated[i].second != *want[i])
        return ModeReport::fail(std::string(repeated[i].first) + " is " + repeated[i].second.dump() + ", the task's is " +
                                    want[i]->dump(),
                                checked);
    checked["task"] = true;
  }
  if (!c.opt->leases.empty()) return check_lease(c, checked);
  return ModeReport::pass(checked);
}

}  // namespace grid
