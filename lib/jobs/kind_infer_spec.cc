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

void infer_validate(const json& spec, const std::string& path) {
  const json& model = get_object(spec, "model", path);
  Digest d;
  if (!parse_sha256_ref(get_string(model, "sha256", path + ".model"), &d))
    throw data_error("expected sha256:<64 hex digits>", path + ".model.sha256");
  if (model.contains("url")) get_string(model, "url", path + ".model");
  if (model.contains("loss")) get_choice(model, "loss", path + ".model", {"softmax_xent", "mse"});
  if (model.contains("layers")) {
    const json& layers = get_array(model, "layers", path + ".model");
    for (size_t i = 0; i < layers.size(); ++i)
      if (!layers[i].is_number_integer() || layers[i].get<int64_t>() < 1 || layers[i].get<int64_t>() > (1 << 20))
        throw data_error("expected an integer width 1..1048576", path + ".model.layers[" + std::to_string(i) + "]");
  }
  validate_data(get_object(spec, "data", path), path + ".data");
  get_int(spec, "batch", path, 1, 1 << 20);
  if (spec.contains("row_begin") || spec.contains("row_end")) {
    int64_t b = get_int(spec, "row_begin", path, 0, int64_t{1} << 31);
    get_int(spec, "row_end", path, b + 1, int64_t{1} << 31);
  }
}

std::vector<TaskBody> infer_split(const json& spec, uint64_t, const SplitOptions& opt) {
  const int64_t rows = data_rows_declared(spec["data"]);
  if (rows < 0) throw data_error("name the number of rows to split the data into shards", ".infer.data.rows");
  // Without the model's widths the cost is per row; with them, per MAC.
  double per_row = 1;
  if (spec["model"].contains("layers")) {
    const json& l = spec["model"]["layers"];
    per_row = 0;
    for (size_t i = 0; i + 1 < l.size(); ++i) per_row += 2.0 * l[i].get<double>() * l[i + 1].get<double>();
  }
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
