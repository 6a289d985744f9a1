#include "proof/proof_input.h"

#include <cmath>

#include "measure/challenge.h"
#include "core/error.h"
#include "core/fields.h"
#include "jobs/result.h"
#include "jobs/job_spec.h"
#include "core/message.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "proof/proof_kinds.h"

namespace grid {
namespace {

constexpr int64_t kMaxCount = int64_t{1} << 53;

void require_hex_list(const json& obj, const std::string& name, const std::string& path) {
  const json& list = get_array(obj, name, path);
  Digest d;
  for (size_t i = 0; i < list.size(); ++i)
    if (!list[i].is_string() || !unhex(list[i].get_ref<const std::string&>(), d.data(), d.size()))
      throw data_error("expected 64 hex digits", path + "." + name + "[" + std::to_string(i) + "]");
}

// A loss job-run reports: a finite number, or null where the run diverged
// (JSON has no NaN, and job-run writes a non-finite loss as null). A number
// that parses to infinity (1e999) is no loss job-run writes.
void require_loss(const json& obj, const std::string& path) {
  const json& loss = require_field(obj, "loss", path);
  if (loss.is_null()) return;
  if (!loss.is_number()) throw data_error("expected a number or null", path + ".loss");
  if (!std::isfinite(loss.get<double>())) throw data_error("expected a finite number", path + ".loss");
}

}  // namespace

void check_train_part(const json& part, const std::string& p) {
  const json& trace = get_object(part, "trace", p);
  const std::string tp = p + ".trace";
  require_hex_list(trace, "leaves", tp);
  require_ref(trace, "root", tp);
  get_int(trace, "checkpoint_every", tp, 1, kMaxCount);
  const json& cps = get_array(trace, "checkpoints", tp);
  for (size_t i = 0; i < cps.size(); ++i) {
    const std::string cp = tp + ".checkpoints[" + std::to_string(i) + "]";
    if (!cps[i].is_object()) throw data_error("expected an object", cp);
    get_int(cps[i], "step", cp, 0, kMaxCount);
    require_ref(cps[i], "sha256", cp);
  }
  const json& final = get_object(part, "final", p);
  get_int(final, "step", p + ".final", 0, kMaxCount);
  require_ref(final, "state_sha256", p + ".final");
  require_ref(final, "model_sha256", p + ".final");
  require_loss(final, p + ".final");
  if (part.contains("labels")) {
    const json& labels = get_array(part, "labels", p);
    for (size_t i = 0; i < labels.size(); ++i)
      if (!labels[i].is_string()) throw data_error("expected a class name (string)", p + ".labels[" + std::to_string(i) + "]");
  }
  // Which steps have a loss is checked against the trace (check_train_layout):
  // a wrong set of steps is a wrong result, not a malformed one.
  if (part.contains("losses")) {
    const json& losses = get_array(part, "losses", p);
    for (size_t i = 0; i < losses.size(); ++i) {
      const std::string lp = p + ".losses[" + std::to_string(i) + "]";
      if (!losses[i].is_object()) throw data_error("expected an object", lp);
      get_int(losses[i], "step", lp, 0, kMaxCount);
      require_loss(losses[i], lp);
    }
  }
}

void check_gemm_part(const json& part, const std::string& p) {
  const int64_t b = get_int(part, "row_begin", p, 0, int64_t{1} << 31);
  get_int(part, "row_end", p, b + 1, int64_t{1} << 31);
  require_ref(part, "c_sha256", p);
  require_ref(part, "row_root", p);
  require_hex_list(part, "row_leaves", p);
}

void check_infer_part(const json& part, const std::string& p) {
  const int64_t b = get_int(part, "row_begin", p, 0, int64_t{1} << 31);
  get_int(part, "row_end", p, b + 1, int64_t{1} << 31);
  get_int(part, "batch", p, 1, int64_t{1} << 31);
  require_ref(part, "predictions_sha256", p);
  const json& trace = get_object(part, "trace", p);
  require_hex_list(trace, "leaves", p + ".trace");
  require_ref(trace, "root", p + ".trace");
}

void check_render_part(const json& part, const std::string& p) {
  const json& frames = get_object(part, "frames", p);
  const int64_t start = get_int(frames, "start", p + ".frames", 0, kMaxCount);
  get_int(frames, "end", p + ".frames", start, kMaxCount);
  get_int(frames, "step", p + ".frames", 1, kMaxCount);
  const json& res = get_object(part, "resolution", p);
  get_int(res, "width", p + ".resolution", 1, int64_t{1} << 16);
  get_int(res, "height", p + ".resolution", 1, int64_t{1} << 16);
  get_int(part, "samples", p, 1, kMaxCount);
  get_int(part, "seed", p, 0, kMaxCount);
  get_string(part, "device", p);
  const json& blender = get_object(part, "blender", p);
  get_string(blender, "version", p + ".blender");
  get_string(blender, "build", p + ".blender");
  const json& images = get_array(part, "images", p);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string ip = p + ".images[" + std::to_string(i) + "]";
    if (!images[i].is_object()) throw data_error("expected an object", ip);
    get_int(images[i], "frame", ip, 0, kMaxCount);
    require_ref(images[i], "png", ip);
  }
  const json& trace = get_object(part, "trace", p);
  require_hex_list(trace, "leaves", p + ".trace");
  require_ref(trace, "root", p + ".trace");
}

void check_result_shape(const json& m) {
  check_envelope(m);
  if (m["kind"] != "result") throw data_error("expected a result, got kind " + m["kind"].get<std::string>(), ".kind");
  get_string(m, "id", "");
  get_string(m, "task", "");
  const std::string type = get_string(m, "type", "");
  const json& header = get_object(m, "header", "");
  get_string(header, "task", ".header");
  get_string(header, "mode", ".header");
  if (const ProofKind* kind = find_proof_kind(type))
    kind->check_part(get_object(m, kind->name, ""), std::string(".") + kind->name);
}

void check_answer_shape(const json& m) {
  check_envelope(m);
  if (m["kind"] != "challenge" || !is_challenge_answer(m))
    throw data_error("expected a challenge answer", ".answer");
  get_string(m, "id", "");
  get_string(m, "request", "");
  get_int(m, "seed", "", 0, kMaxCount);
  get_int(m, "n", "", 1, kMaxChallengeN);
  get_string(m, "dtype", "");
  get_int(m, "deadline_ms", "", 1, int64_t{1} << 40);
  const json& a = get_object(m, "answer", "");
  get_number(a, "elapsed_ms", ".answer", 0, 1e300);
  require_ref(a, "row_root", ".answer");
  require_ref(a, "c_sha256", ".answer");
  require_hex_list(a, "row_leaves", ".answer");
}

CheckEntry make_entry(json message, const Position& at) {
  CheckEntry e;
  if (message["kind"] == "challenge") {
    check_answer_shape(message);
    e.type = "challenge";
    e.task_id = message["request"];
  } else {
    check_result_shape(message);
    e.type = message["type"];
    e.task_id = message["task"];
  }
  std::string signer;
  Status s = check_signature(message, &signer);
  if (s.ok()) e.signer = signer;
  else e.sig_problem = s.reason() == "unsigned" ? "unsigned: a result must be signed by its provider" : s.reason();
  e.message = std::move(message);
  e.at = at;
  return e;
}

void read_tasks(Tool& tool, const std::vector<std::string>& files, ProofInputs* in) {
  for (const std::string& f : files)
    tool.each_message({f}, [&](json& m, const Position&) {
      check_envelope(m);
      if (m["kind"] != "task") throw data_error("expected a task, got kind " + m["kind"].get<std::string>(), ".kind");
      require_id_or_signature(m, "task");
      validate_task(m);
      in->tasks[m["id"]] = m;
    });
}

void read_leases(Tool& tool, const std::vector<std::string>& files, ProofInputs* in) {
  for (const std::string& f : files)
    tool.each_message({f}, [&](json& m, const Position&) {
      check_envelope(m);
      if (m["kind"] != "lease") throw data_error("expected a lease, got kind " + m["kind"].get<std::string>(), ".kind");
      require_id_or_signature(m, "lease");
      // Compared as text with a result's signer and task: one spelling.
      if (m.contains("provider")) get_key(m, "provider", "");
      if (m.contains("task") && m["task"].is_string()) require_ref(m, "task", "");
      if (const json* t = task_of(m)) {
        // A lease from lease-bid holds its task in the order: name that path.
        const std::string at = m.contains("task") && &m["task"] == t ? ".task" : ".order.task";
        require_id_or_signature(*t, "the lease's task", at);
        validate_task(*t, at);
        in->tasks[(*t)["id"]] = *t;
      }
      if (m.contains("deadline")) in->lease_deadlines[m["id"]] = get_time(m, "deadline", "");
      in->leases.push_back(m);
    });
}

void read_profiles(Tool& tool, const std::vector<std::string>& files, ProofInputs* in) {
  for (const std::string& f : files)
    tool.each_message({f}, [&](json& m, const Position&) {
      check_envelope(m);
      if (m["kind"] != "profile") throw data_error("expected a profile, got kind " + m["kind"].get<std::string>(), ".kind");
      std::string signer;
      require_signature(m, "profile", &signer);
      in->profiles[signer].push_back(m);
    });
}

void read_seals(Tool& tool, const std::vector<std::string>& files, ProofInputs* in) {
  for (const std::string& f : files)
    tool.each_message({f}, [&](json& m, const Position&) {
      check_envelope(m);
      if (m["kind"] != "seal") throw data_error("expected a seal, got kind " + m["kind"].get<std::string>(), ".kind");
      const std::string task = get_string(m, "task", "");
      require_ref(m, "seal", "");
      std::string signer;
      require_signature(m, "seal", &signer);
      in->seals.insert(signer + " " + task + " " + m["seal"].get<std::string>());
    });
}

void read_challenges(Tool& tool, const std::vector<std::string>& files, ProofInputs* in) {
  for (const std::string& f : files)
    tool.each_message({f}, [&](json& m, const Position&) {
      ChallengeRequest r = parse_challenge_request(m);
      in->challenges[r.id] = m;
    });
}

}  // namespace grid
