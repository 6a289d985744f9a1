#include "jobs/task_cost.h"

#include <cmath>

#include "core/error.h"
#include "jobs/data_spec.h"
#include "jobs/exec_spec.h"
#include "jobs/job_kinds.h"
#include "jobs/job_spec.h"
#include "jobs/kind_render.h"

namespace grid {
namespace {

// Parameters (weights and biases) of an MLP with these widths.
double parameters(const json& layers) {
  double p = 0;
  for (size_t i = 0; i + 1 < layers.size(); ++i)
    p += layers[i].get<double>() * layers[i + 1].get<double>() + layers[i + 1].get<double>();
  return p;
}

// Millions of values a dataset load makes or reads (x, and y for training);
// 0 when the spec does not declare its size.
double data_mvalues(const json& data, bool with_outputs) {
  const int64_t rows = data_rows_declared(data), features = data_features_declared(data);
  const int64_t outputs = with_outputs ? std::max<int64_t>(data_outputs_declared(data), 1) : 0;
  if (rows < 0 || features < 0) return 0;
  return static_cast<double>(rows) * static_cast<double>(features + outputs) / 1e6;
}

std::optional<TaskWork> gemm_work(const json& spec, std::string*) {
  const double m = spec["m"].get<double>(), n = spec["n"].get<double>(), k = spec["k"].get<double>();
  const double rows = spec.value("row_end", m) - spec.value("row_begin", 0.0);
  // A's rows and B are drawn from the seed, C hashed and stored.
  return TaskWork{{"task", 1},
                  {"gflop", 2 * rows * n * k / 1e9},
                  {"melement", (rows * k + k * n + rows * n) / 1e6},
                  {"store_write", 3},  // C, the result and its reference
                  {"store_mb", 4 * rows * n / 1e6}};
}

std::optional<TaskWork> train_work(const json& spec, std::string* why) {
  if (!spec.contains("steps")) {  // a job's sweep, not a task
    *why = "a train spec without steps";
    return std::nullopt;
  }
  const json& layers = spec["model"]["layers"];
  const double steps = spec["steps"].get<double>(), every = spec["checkpoint_every"].get<double>();
  const std::string opt = spec["optimizer"]["name"];
  // The state is the parameters and the optimizer's slots; every step
  // updates and hashes all of it (the trace's leaf).
  const double copies = opt == "adam" ? 3 : opt == "momentum" ? 2 : 1;
  const double state_mb = 4 * parameters(layers) * copies / 1e6;
  // A checkpoint stores the state and a progress record and moves the
  // progress reference; the initial state is one, and the last step always is.
  const double checkpoints = std::ceil(steps / every) + 1;
  const double batch = spec["batch"].get<double>();
  // A row of a batch costs beyond its products (drawn, its loss and
  // activations' gradients): a small net's rows took more than its
  // arithmetic.
  return TaskWork{{"task", 1},
                  {"step", steps},
                  {"mrow", batch * steps / 1e6},
                  {"gflop", 6 * batch * mlp_macs_per_row(layers) * steps / 1e9},
                  {"state_mb", state_mb * steps},
                  {"store_write", 3 * checkpoints + 3},  // and the model, the result, its reference
                  {"store_mb", state_mb * checkpoints + 4 * parameters(layers) / 1e6},
                  {"data_mvalue", data_mvalues(spec["data"], true)}};
}

std::optional<TaskWork> infer_work(const json& spec, std::string* why) {
  if (!spec["model"].contains("layers")) {
    *why = "the infer task names no model.layers, so its work is unknown";
    return std::nullopt;
  }
  const json& layers = spec["model"]["layers"];
  const int64_t data_rows = data_rows_declared(spec["data"]);
  const double begin = spec.value("row_begin", 0.0);
  const double end = spec.contains("row_end") ? spec["row_end"].get<double>() : static_cast<double>(data_rows);
  if (end < 0) {
    *why = "the infer task's data declares no rows and it names no row_end";
    return std::nullopt;
  }
  const double rows = end - begin;
  // The whole dataset is loaded, whatever shard of it is predicted.
  const double values = data_rows >= 0 ? static_cast<double>(data_rows) * layers[0].get<double>() / 1e6 : 0;
  return TaskWork{{"task", 1},
                  {"gflop", 2 * rows * mlp_macs_per_row(layers) / 1e9},
                  // A row costs beyond its products: its predictions
                  // copied, hashed and written (a small model's rows took
                  // several times their arithmetic).
                  {"mrow", rows / 1e6},
                  {"batch", std::ceil(rows / spec["batch"].get<double>())},
                  {"data_mvalue", values},
                  {"store_write", 3},  // the predictions, the result, its reference
                  {"store_mb", 4 * rows * layers.back().get<double>() / 1e6}};
}

// A foreign program's time is not known before it runs: a provider
// prices the most it may take, its wall-time limit.
std::optional<TaskWork> exec_work(const json& spec, std::string*) {
  return TaskWork{{"task", 1}, {"exec_second", exec_limits(spec).wall_seconds}};
}

}  // namespace

const std::vector<TaskCostKind>& task_cost_kinds() {
  static const std::vector<TaskCostKind> table = {
      {"gemm", gemm_work},
      {"train", train_work},
      {"infer", infer_work},
      {"render", render_work},
      {"exec", exec_work},
  };
  return table;
}

std::optional<TaskWork> task_work(const json& task, std::string* why) {
  const std::string type = task.value("type", "");
  for (const TaskCostKind& k : task_cost_kinds()) {
    if (type != k.name) continue;
    if (!task.contains(type) || !task[type].is_object()) {
      *why = "the task has no " + type + " part";
      return std::nullopt;
    }
    // An order's task comes from a stranger: only a spec its kind accepts
    // is counted.
    try {
      job_kind(type).validate(task[type], "." + type, RunsOn::here);
    } catch (const Error& e) {
      *why = "the task's " + type + " part is not valid: " + e.what() + (e.field().empty() ? "" : " (" + e.field() + ")");
      return std::nullopt;
    }
    return k.work(task[type], why);
  }
  *why = "no cost model for tasks of type \"" + type + "\"";
  return std::nullopt;
}

std::optional<double> work_seconds(const TaskWork& work, const json& costs, std::string* why) {
  double seconds = 0;
  for (const auto& [unit, count] : work) {
    if (count == 0) continue;
    if (!costs.is_object() || !costs.contains(unit) || !costs[unit].is_number()) {
      *why = "no cost for the unit \"" + unit + "\" (a profile of an older gpu-bench: take it again)";
      return std::nullopt;
    }
    seconds += count * costs[unit].get<double>();
  }
  return seconds;
}

}  // namespace grid
