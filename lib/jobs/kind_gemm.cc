// The gemm kind: C = A * B for A (m x k) and B (k x n) drawn from the job's
// seed (seeded_matrix.h), cut into row blocks of C.
#include <chrono>

#include "core/error.h"
#include "compute/gemm.h"
#include "core/fields.h"
#include "jobs/job_kinds.h"
#include "jobs/job_run.h"
#include "core/merkle.h"
#include "compute/seeded_matrix.h"
#include "core/store.h"

namespace grid {
namespace {

// Past this many floats in A, B and C together a task would need more than
// 16 GiB; cut the job finer instead.
constexpr int64_t kMaxGemmElements = int64_t{4} << 30;
constexpr int64_t kMaxDim = 1 << 20;
// Rows of C per task unless --shard-rows or --tasks say otherwise.
constexpr int64_t kDefaultShardRows = 1024;

}  // namespace

// Made from its seed alone, a gemm spec has no inputs to fetch: it runs
// the same anywhere.
void gemm_validate(const json& spec, const std::string& path, RunsOn) {
  check_known_fields(spec, path, {"m", "n", "k", "seed", "dtype", "row_begin", "row_end"});
  int64_t m = get_int(spec, "m", path, 1, kMaxDim);
  int64_t n = get_int(spec, "n", path, 1, kMaxDim);
  int64_t k = get_int(spec, "k", path, 1, kMaxDim);
  get_int(spec, "seed", path, 0, int64_t{1} << 53);
  if (spec.contains("dtype")) get_choice(spec, "dtype", path, {"f32"});
  if (m * k + k * n + m * n > kMaxGemmElements)
    throw data_error("A, B and C together exceed " + std::to_string(kMaxGemmElements) + " elements", path);
  if (spec.contains("row_begin") || spec.contains("row_end")) {
    int64_t b = get_int(spec, "row_begin", path, 0, m - 1);
    get_int(spec, "row_end", path, b + 1, m);
  }
}

std::vector<TaskBody> gemm_split(const json& spec, uint64_t, const SplitOptions& opt) {
  const int64_t m = spec["m"], n = spec["n"], k = spec["k"];
  std::vector<TaskBody> out;
  for (const RowShard& s : row_shards(m, opt, (m + kDefaultShardRows - 1) / kDefaultShardRows)) {
    json part = spec;
    part["dtype"] = spec.value("dtype", "f32");
    part["row_begin"] = s.begin;
    part["row_end"] = s.end;
    out.push_back({part, 2.0 * (s.end - s.begin) * n * k, s.provider, s.profile});
  }
  return out;
}

json gemm_run(const json& task, RunContext& ctx) {
  const json& spec = task["gemm"];  // validate_task() checked it
  const int m = spec["m"], n = spec["n"], k = spec["k"];
  const int begin = spec.value("row_begin", 0), end = spec.value("row_end", m);
  const int rows = end - begin;
  const uint64_t seed = spec["seed"];
  ctx.progress("gemm rows " + std::to_string(begin) + ".." + std::to_string(end) + " of " + std::to_string(m) + "x" +
               std::to_string(n) + "x" + std::to_string(k) + " on " + ctx.device.name());
  std::vector<float> A = seeded_rows(seed, kStreamA, begin, end, k, ctx.threads);
  std::vector<float> B = seeded_matrix(seed, kStreamB, k, n, ctx.threads);
  std::vector<float> C(static_cast<size_t>(rows) * n);
  auto t0 = std::chrono::steady_clock::now();
  ctx.gemm_engine().gemm(rows, n, k, A.data(), k, B.data(), n, C.data(), n);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string bytes;
  bytes.reserve(C.size() * 4);
  for (int r = 0; r < rows; ++r) {
    auto rb = row_bytes(C.data() + static_cast<size_t>(r) * n, n);
    bytes.append(reinterpret_cast<const char*>(rb.data()), rb.size());
  }
  Digest c_hash = ctx.store->put(bytes);
  std::vector<Digest> leaves = row_leaf_hashes(C.data(), rows, n);
  json leaf_hex = json::array();
  for (const Digest& d : leaves) leaf_hex.push_back(hex(d));
  return {{"row_begin", begin},
          {"row_end", end},
          {"c_sha256", sha256_ref(c_hash)},
          {"c_format", "f32le rows, NaN as 0x7fc00000"},
          {"row_root", sha256_ref(merkle_root(leaves))},
          {"row_leaves", leaf_hex},
          {"seconds", seconds},
          {"tflops", seconds > 0 ? 2.0 * rows * n * k / seconds / 1e12 : 0.0}};
}

}  // namespace grid
