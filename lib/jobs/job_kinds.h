// The functions behind each row of the job-kind table (job_spec.h).
#pragma once

#include "jobs/job_spec.h"

namespace grid {

void gemm_validate(const json& spec, const std::string& path, RunsOn where);
std::vector<TaskBody> gemm_split(const json& spec, uint64_t job_seed, const SplitOptions& opt);
json gemm_run(const json& task, RunContext& ctx);

void train_validate(const json& spec, const std::string& path, RunsOn where);
std::vector<TaskBody> train_split(const json& spec, uint64_t job_seed, const SplitOptions& opt);
json train_run(const json& task, RunContext& ctx);

void infer_validate(const json& spec, const std::string& path, RunsOn where);
std::vector<TaskBody> infer_split(const json& spec, uint64_t job_seed, const SplitOptions& opt);
json infer_run(const json& task, RunContext& ctx);

void render_validate(const json& spec, const std::string& path, RunsOn where);
std::vector<TaskBody> render_split(const json& spec, uint64_t job_seed, const SplitOptions& opt);
json render_run(const json& task, RunContext& ctx);
void exec_validate(const json& spec, const std::string& path, RunsOn where);
std::vector<TaskBody> exec_split(const json& spec, uint64_t job_seed, const SplitOptions& opt);
json exec_run(const json& task, RunContext& ctx);

// Multiply-adds of one forward pass of one row through an MLP of these
// widths (a JSON array of integers): sum of l_i * l_(i+1). Train, infer and
// the task cost model all count work with it.
double mlp_macs_per_row(const json& layers);

// Row ranges for a kind whose work is rows: --shard-rows, --tasks, or
// --weights (one range per weighted provider, sized by rate).
struct RowShard {
  int64_t begin, end;
  std::string provider, profile;
};
std::vector<RowShard> row_shards(int64_t rows, const SplitOptions& opt, int64_t default_tasks);

}  // namespace grid
