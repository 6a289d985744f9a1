#include "jobs/job_spec.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/fields.h"
#include "jobs/job_kinds.h"
#include "core/message.h"

namespace grid {

const std::vector<JobKind>& job_kinds() {
  static const std::vector<JobKind> table = {
      {"gemm", gemm_validate, gemm_split, gemm_run, "/gemm/c_sha256"},
      {"train", train_validate, train_split, train_run, "/train/final/state_sha256"},
      {"infer", infer_validate, infer_split, infer_run, "/infer/predictions_sha256"},
      {"render", render_validate, render_split, render_run, "/render/trace/root"},
      {"exec", exec_validate, exec_split, exec_run, "/exec/run_sha256"},
  };
  return table;
}

const JobKind& job_kind(const std::string& name, const std::string& field) {
  for (const JobKind& k : job_kinds())
    if (name == k.name) return k;
  std::string list;
  for (const JobKind& k : job_kinds()) list += (list.empty() ? "" : ", ") + std::string(k.name);
  throw data_error("unknown job type \"" + name + "\" (known: " + list + ")", field);
}

namespace {

// The part of a job or task after its envelope: "type", "mode" and the
// kind's spec under the key named like the type.
void validate_typed(const json& m, const std::string& at, RunsOn where) {
  const JobKind& kind = job_kind(get_string(m, "type", at), at + ".type");
  if (m.contains("mode")) get_choice(m, "mode", at, {"exact", "fast"});
  kind.validate(get_object(m, kind.name, at), at + "." + kind.name, where);
}

}  // namespace

void validate_job(const json& job) {
  check_envelope(job);
  if (job["kind"] != "job") throw data_error("expected a job message, got kind " + job["kind"].dump(), ".kind");
  validate_typed(job, "", RunsOn::here);
}

TaskPlace validate_task(const json& task, const std::string& at, RunsOn where) {
  if (!task.is_object() || !task.contains("kind") || task["kind"] != "task")
    throw data_error("expected a task message", at + ".kind");
  TaskPlace place = task_place(task, at);
  validate_typed(task, at, where);
  return place;
}

TaskPlace task_place(const json& task, const std::string& at) {
  // task_seed's 53 bits; an index or count past them is no job-split's.
  constexpr int64_t kMax = int64_t{1} << 53;
  TaskPlace p;
  if (task.contains("job")) {
    require_ref(task, "job", at);
    p.job = task["job"];
  }
  const std::optional<int64_t> count = get_int_opt(task, "count", at, 1, kMax);
  if (auto index = get_int_opt(task, "index", at, 0, kMax)) {
    if (count && *index >= *count)
      throw data_error("index " + std::to_string(*index) + " is not below count " + std::to_string(*count), at + ".index");
    p.index = *index;
  }
  if (auto seed = get_int_opt(task, "seed", at, 0, kMax)) p.seed = *seed;
  return p;
}

uint64_t task_seed(const std::string& job_id, int64_t index) {
  Digest d = sha256(job_id + ":" + std::to_string(index));
  uint64_t s = 0;
  for (int i = 0; i < 8; ++i) s = s << 8 | d[i];
  return s >> 11;  // the first 53 bits
}

uint64_t job_seed(const json& job) {
  const json& spec = job[job["type"].get<std::string>()];
  if (spec.contains("seed")) return static_cast<uint64_t>(spec["seed"].get<int64_t>());
  return task_seed(message_id(job), -1);
}

std::vector<int64_t> proportional_parts(int64_t total, const std::vector<double>& weights) {
  double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (weights.empty() || !(sum > 0)) throw Error(Exit::data, "weights must not all be zero");
  std::vector<int64_t> parts(weights.size());
  std::vector<std::pair<double, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    double exact = total * (weights[i] / sum);
    parts[i] = static_cast<int64_t>(std::floor(exact));
    given += parts[i];
    remainders.emplace_back(exact - parts[i], i);
  }
  // Largest remainders first; ties to the earlier entry, so it is stable.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t r = 0; given < total; ++r, ++given) parts[remainders[r % remainders.size()].second] += 1;
  return parts;
}

std::vector<std::pair<int64_t, int64_t>> even_ranges(int64_t total, int64_t parts) {
  std::vector<std::pair<int64_t, int64_t>> out;
  parts = std::max<int64_t>(1, std::min(parts, total));
  for (int64_t i = 0; i < parts; ++i) out.emplace_back(total * i / parts, total * (i + 1) / parts);
  return out;
}

std::vector<RowShard> row_shards(int64_t rows, const SplitOptions& opt, int64_t default_tasks) {
  std::vector<RowShard> out;
  if (!opt.weights.empty()) {
    std::vector<double> rates;
    for (const auto& w : opt.weights) rates.push_back(w.rate);
    auto sizes = proportional_parts(rows, rates);
    int64_t at = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == 0) continue;  // too slow to get a row: no empty task
      out.push_back({at, at + sizes[i], opt.weights[i].provider, opt.weights[i].profile});
      at += sizes[i];
    }
    return out;
  }
  int64_t tasks = default_tasks;
  if (opt.shard_rows > 0) tasks = (rows + opt.shard_rows - 1) / opt.shard_rows;
  if (opt.tasks > 0) tasks = opt.tasks;
  if (opt.shard_rows > 0 && opt.tasks <= 0) {
    for (int64_t b = 0; b < rows; b += opt.shard_rows) out.push_back({b, std::min(rows, b + opt.shard_rows), "", ""});
    return out;
  }
  for (auto [b, e] : even_ranges(rows, tasks)) out.push_back({b, e, "", ""});
  return out;
}

std::vector<json> split_job(const json& job, const SplitOptions& opt) {
  const std::string type = job["type"];
  const JobKind& kind = job_kind(type);
  const std::string job_id = message_id(job);
  std::vector<TaskBody> bodies = kind.split(job[type], job_seed(job), opt);
  std::vector<json> tasks;
  for (size_t i = 0; i < bodies.size(); ++i) {
    json t = {{"kind", "task"},
              {"v", kMessageVersion},
              {"job", job_id},
              {"type", type},
              {"index", i},
              {"count", bodies.size()},
              {"seed", task_seed(job_id, static_cast<int64_t>(i))},
              {"mode", job.value("mode", "exact")},
              {"flops", whole_number(std::round(bodies[i].flops))},
              {type, bodies[i].spec}};
    if (!bodies[i].provider.empty()) {
      t["provider"] = bodies[i].provider;
      t["profile"] = bodies[i].profile;
    }
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace grid
