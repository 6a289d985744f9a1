#include "proof/proof_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/keyfile.h"
#include "core/message.h"
#include "core/net.h"
#include "proof/proof_input.h"
#include "proof/proof_table.h"
#include "core/store.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "jobs/lease_deadline.h"

namespace grid {
namespace {

const char* status_of(const std::vector<ModeRun>& runs) {
  for (const ModeRun& r : runs)
    if (r.report.outcome == ModeReport::Outcome::fail) return "reject";
  for (const ModeRun& r : runs)
    if (r.report.outcome == ModeReport::Outcome::inconclusive) return "inconclusive";
  return "accept";
}

void check_option_ranges(const ProofOptions& opt) {
  if (opt.samples < 0) throw Error(Exit::usage, "--samples must be 1 or more");
  if (!(opt.detect > 0 && opt.detect < 1)) throw Error(Exit::usage, "--detect must be above 0 and below 1");
  if (!(opt.cheat_fraction > 0 && opt.cheat_fraction <= 1)) throw Error(Exit::usage, "--cheat-fraction must be above 0 and at most 1");
  if (!(opt.budget > 0 && opt.budget <= 1)) throw Error(Exit::usage, "--budget must be above 0 and at most 1");
  if (opt.quorum < 1) throw Error(Exit::usage, "--k must be 1 or more");
  if (!(opt.slow_factor > 0)) throw Error(Exit::usage, "--slow-factor must be above 0");
  // A typo in the verifier's own URL must not read as a provider's corrupt
  // checkpoints.
  if (!opt.store_url.empty()) check_url_flag("--store-url", opt.store_url);
}

// When the verifier saw a result done under a lease with a deadline, and
// how late that was: pay-settle returns the hold of a lease past its
// deadline to the buyer, so a late accept pays nothing. Returns the
// seconds late (0 when in time); -1, and nothing recorded, when the
// result names no lease of --leases with a deadline.
int64_t record_deadline(json& verdict, const CheckEntry& e, const ProofInputs& in, int64_t seen) {
  const json& lease = e.message.contains("lease") ? e.message["lease"] : json();
  if (!lease.is_string()) return -1;
  const auto it = in.lease_deadlines.find(lease.get<std::string>());
  if (it == in.lease_deadlines.end()) return -1;
  const int64_t late = std::max<int64_t>(0, seen - it->second);
  verdict["seen"] = format_rfc3339(seen);
  verdict["deadline"] = format_rfc3339(it->second);
  verdict["late_seconds"] = late;
  return late;
}

// Why the results that wanted their task went without it, in one line.
std::string missing_task_hint(size_t count, const ProofOptions& opt) {
  const std::string n = std::to_string(count) + " result(s) inconclusive for want of their task: ";
  if (opt.tasks.empty() && opt.leases.empty())
    return n + "give the task messages with --tasks FILE (or the leases with --leases FILE)";
  return n + "it is in neither --tasks nor --leases";
}

}  // namespace

std::vector<const ProofMode*> parse_mode_list(const std::vector<std::string>& names) {
  std::vector<std::string> wanted = names;
  if (wanted.empty()) {
    std::stringstream in(kDefaultModes);
    for (std::string m; std::getline(in, m, ',');) wanted.push_back(m);
  }
  for (const std::string& name : wanted) {
    if (!find_proof_mode(name))
      throw Error(Exit::usage, "--mode " + name + ": no such mode (known: " + join(proof_mode_names()) + ")");
  }
  std::vector<const ProofMode*> out;
  for (const ProofMode& m : proof_modes())
    if (std::find(wanted.begin(), wanted.end(), m.name) != wanted.end()) out.push_back(&m);
  return out;
}

json make_verdict(const CheckEntry& entry, const std::vector<ModeRun>& runs, const std::vector<std::string>& skipped,
                  const Draw& draw, double seconds) {
  json modes = json::array(), checked = json::object();
  std::optional<double> detection;
  for (const ModeRun& r : runs) {
    modes.push_back(r.mode->name);
    json c = r.report.checked;
    if (r.report.detection) {
      c["detection_probability"] = *r.report.detection;
      detection = std::max(detection.value_or(0.0), *r.report.detection);
    }
    checked[r.mode->name] = c;
  }
  std::string status = status_of(runs), reason;
  // The reason is the first report that made the status.
  const auto culprit = status == "reject" ? ModeReport::Outcome::fail : ModeReport::Outcome::inconclusive;
  for (const ModeRun& r : runs)
    if (status != "accept" && reason.empty() && r.report.outcome == culprit)
      reason = std::string(r.mode->name) + ": " + r.report.reason;
  // Asking for checks of the work and getting none of them is no accept.
  const bool only_sig = std::all_of(runs.begin(), runs.end(), [](const ModeRun& r) { return r.mode->name == std::string("sig"); });
  if (status == "accept" && only_sig && !skipped.empty()) {
    status = "inconclusive";
    reason = "none of the modes asked for (" + join(skipped) + ") applies to a " + entry.type + " " +
             (entry.type == "challenge" ? std::string("answer (use --mode challenge)") : std::string("result"));
  }
  json v = {{"kind", "verdict"},
            {"v", kMessageVersion},
            {"result", entry.message["id"]},
            {entry.type == "challenge" ? "request" : "task", entry.task_id},
            {"type", entry.type},
            {"provider", entry.signer.empty() ? json(nullptr) : json(entry.signer)},
            {"status", status},
            {"modes", modes},
            {"checked", checked},
            {"detection_probability", detection ? json(*detection) : json(nullptr)},
            {"draw", {{"sig", hex(draw.sig)}, {"seed", hex(draw.seed)}}},
            {"verifier_seconds", seconds}};
  // The lease the work was done under, so settlement finds the hold.
  if (entry.message.contains("lease") && entry.message["lease"].is_string()) v["lease"] = entry.message["lease"];
  if (!skipped.empty()) v["skipped"] = skipped;
  if (status != "accept") v["reason"] = reason;
  return v;
}

int proof_check_main(Tool& tool, const ProofOptions& opt) {
  check_option_ranges(opt);
  const std::vector<const ProofMode*> modes = parse_mode_list(opt.modes);
  const std::string key_path = tool.key_path();
  if (key_path.empty())
    throw Error(Exit::usage, "proof-check needs a key (--key FILE or GRID_KEY): verdicts are signed, and spot draws "
                             "its samples from the verifier's signature");
  const SigningKey key = load_key(key_path);
  std::string device_note;
  const Device device = select_device(opt.device, &device_note);
  if (!device_note.empty()) tool.note(device_note);
  // A --store that is not there is the verifier's typo: every checkpoint
  // would read as withheld by the provider.
  struct stat st;
  if (!opt.store.empty() && (::stat(opt.store.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    throw Error(Exit::no_input, "--store " + opt.store + ": no such folder");
  const Store store = Store::from_flag(opt.store);
  const RunClock clock(opt.now);  // when a result is seen, against its lease's deadline

  ProofInputs in;
  read_tasks(tool, opt.tasks, &in);
  read_leases(tool, opt.leases, &in);
  read_seals(tool, opt.seals, &in);
  read_profiles(tool, opt.profiles, &in);
  read_challenges(tool, opt.challenges, &in);

  // A table holds verdicts only: what --pass would copy is counted instead.
  const bool table = tool.table_format();
  size_t passed = 0;
  std::vector<CheckEntry> entries;
  tool.each_message(opt.inputs, [&](json& m, const Position& at) {
    check_envelope(m);
    const std::string kind = m["kind"];
    if (kind == "result" || (kind == "challenge" && m.contains("answer"))) {
      entries.push_back(make_entry(std::move(m), at));
      return;
    }
    if (opt.pass) {
      if (table) ++passed;
      else write_stdout(at.text + "\n");
      return;
    }
    throw data_error("expected a result or a challenge answer, got kind " + kind, ".kind");
  });
  if (passed > 0)
    tool.note(std::to_string(passed) + " passed-through message(s) (not results or answers) left out of the table; "
              "--format json copies them to stdout");
  const VerdictTable verdict_table(modes);
  if (table) write_stdout(verdict_table.header());

  std::map<std::string, std::vector<const CheckEntry*>> groups;  // by task (or request)
  for (const CheckEntry& e : entries) groups[e.type + " " + e.task_id].push_back(&e);

  std::map<std::string, json> memo;
  const bool show = !tool.common().quiet && ::isatty(2);
  bool any_reject = false, any_inconclusive = false;
  size_t missing_tasks = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const CheckEntry& e = entries[i];
    if (show) tool.note("checking " + e.message["id"].get<std::string>() + " (" + std::to_string(i + 1) + "/" +
                        std::to_string(entries.size()) + ")");
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t seen = static_cast<int64_t>(clock.now());
    CheckContext ctx;
    ctx.opt = &opt;
    ctx.in = &in;
    ctx.key = &key;
    ctx.device = device;
    ctx.store = &store;
    ctx.entry = &e;
    auto task = in.tasks.find(e.task_id);
    ctx.task = task == in.tasks.end() ? nullptr : &task->second;
    ctx.draw = make_draw(key, e.message["id"]);
    ctx.group = groups[e.type + " " + e.task_id];
    ctx.entries = &entries;
    ctx.memo = &memo;

    std::vector<ModeRun> runs;
    std::vector<std::string> skipped;
    std::map<ModeFn, size_t> done;  // spot and rows share a check on gemm: run it once
    for (const ProofMode* mode : modes) {
      ModeFn fn = mode_check_for(*mode, e.type);
      if (!fn) {
        skipped.push_back(mode->name);
        continue;
      }
      if (auto it = done.find(fn); it != done.end()) {
        runs.push_back({mode, runs[it->second].report});
        continue;
      }
      try {
        runs.push_back({mode, fn(ctx)});
      } catch (Error& err) {
        if (err.code() == Exit::data) err.at_line(e.at.line, e.at.source);
        throw;
      }
      done[fn] = runs.size() - 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    json verdict = make_verdict(e, runs, skipped, ctx.draw, seconds);
    any_reject = any_reject || verdict["status"] == "reject";
    any_inconclusive = any_inconclusive || verdict["status"] == "inconclusive";
    if (verdict["status"] == "inconclusive" &&
        std::any_of(runs.begin(), runs.end(), [](const ModeRun& r) { return r.report.task_missing; }))
      ++missing_tasks;
    if (const int64_t late = record_deadline(verdict, e, in, seen); late > 0)
      tool.note("warning: result " + e.message["id"].get<std::string>() + " of lease " +
                e.message["lease"].get<std::string>() + " seen " + format_rfc3339(seen) + ", " + duration_text(late) +
                " past the lease's deadline " + verdict["deadline"].get<std::string>() + "; " + kLateLeaseUnpaid);
    sign_message(verdict, key);
    if (table) write_stdout(verdict_table.row(verdict));
    else write_message(verdict);
  }
  if (missing_tasks > 0) tool.note(missing_task_hint(missing_tasks, opt));
  if (any_reject) return static_cast<int>(Exit::negative);
  return any_inconclusive ? static_cast<int>(Exit::inconclusive) : 0;
}

}  // namespace grid
