// The infer kind's spec and split: a trained model or a training
// checkpoint (by SHA-256, from the store or a URL; infer_model.h) applied
// to data rows, cut into shards of rows.
#include "core/crypto.h"
#include "jobs/data_spec.h"
#include "core/error.h"
#include "core/fields.h"
#include "jobs/job_kinds.h"

namespace grid {
namespace {

// Rows per shard unless --shard-rows, --tasks or --weights say otherwise.
constexpr int64_t kDefaultShardRows = 4096;

}  // namespace

void infer_validate(const json& spec, const std::string& path, RunsOn where) {
  check_known_fields(spec, path, {"model", "data", "batch", "row_begin", "row_end"});
  const json& model = get_object(spec, "model", path);
  const std::string mp = path + ".model";
  check_known_fields(model, mp, {"sha256", "url", "loss", "layers"});
  require_ref(model, "sha256", mp);
  if (model.contains("url")) check_input_url(get_string(model, "url", mp), mp + ".url");
  else if (where == RunsOn::elsewhere)
    throw data_error("a provider's store does not hold the buyer's model: name its \"url\" (a train result published "
                     "by job-run --publish URL has it at URL/sha256/<2 hex>/<62 hex>)",
                     mp + ".url");
  if (model.contains("loss")) get_choice(model, "loss", mp, {"softmax_xent", "mse"});
  if (model.contains("layers")) {
    const json& layers = get_array(model, "layers", mp);
    for (size_t i = 0; i < layers.size(); ++i)
      if (!layers[i].is_number_integer() || layers[i].get<int64_t>() < 1 || layers[i].get<int64_t>() > (1 << 20))
        throw data_error("expected an integer width 1..1048576", mp + ".layers[" + std::to_string(i) + "]");
  }
  validate_data(get_object(spec, "data", path), path + ".data", where);
  get_int(spec, "batch", path, 1, 1 << 20);
  // Shards are cut by rows, and each task's range must lie within them.
  const int64_t rows = data_rows_declared(spec["data"]);
  if (rows < 0) throw data_error("name the number of rows to split the data into shards", path + ".data.rows");
  if (spec.contains("row_begin") || spec.contains("row_end")) {
    const int64_t b = get_int(spec, "row_begin", path, 0, rows - 1);
    get_int(spec, "row_end", path, b + 1, rows);
  }
}

std::vector<TaskBody> infer_split(const json& spec, uint64_t, const SplitOptions& opt) {
  const int64_t rows = data_rows_declared(spec["data"]);  // infer_validate() requires it
  // Without the model's widths the cost is per row; with them, per MAC.
  // (2 x a sum is exactly the sum of the doubled terms: the flops, and so
  // the task ids, are the same bits as when each term was doubled.)
  const double per_row = spec["model"].contains("layers") ? 2.0 * mlp_macs_per_row(spec["model"]["layers"]) : 1;
  std::vector<TaskBody> out;
  for (const RowShard& s : row_shards(rows, opt, (rows + kDefaultShardRows - 1) / kDefaultShardRows)) {
    json part = spec;
    part["row_begin"] = s.begin;
    part["row_end"] = s.end;
    out.push_back({part, per_row * (s.end - s.begin), s.provider, s.profile});
  }
  return out;
}

}  // namespace grid
