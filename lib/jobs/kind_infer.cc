// The infer kind's run: a stored model applied to a shard of data rows, in
// batches. Each batch's predictions (FP32 little-endian, NaN canonical) are
// hashed into one leaf of an RFC 6962 tree; all of them together are stored
// as one .npy artifact.
#include <algorithm>
#include <chrono>

#include "jobs/dataset_load.h"
#include "core/error.h"
#include "compute/infer_model.h"
#include "jobs/input_fetch.h"
#include "jobs/job_kinds.h"
#include "jobs/job_run.h"
#include "core/merkle.h"
#include "compute/mlp.h"
#include "compute/npy.h"
#include "compute/seeded_matrix.h"
#include "core/store.h"

namespace grid {

json infer_run(const json& task, RunContext& ctx) {
  const json& spec = task["infer"];  // validate_task() checked it
  const json& model_spec = spec["model"];
  Digest model_key;
  parse_sha256_ref(model_spec["sha256"].get<std::string>(), &model_key);
  std::string model_bytes;
  if (model_spec.contains("url")) {
    model_bytes = fetch_input(model_spec["url"].get<std::string>(), model_key, ctx.store, ".infer.model");
  } else if (ctx.store->has(model_key)) {
    model_bytes = ctx.store->get(model_key);
  } else {
    throw Error(Exit::no_input, "model " + model_spec["sha256"].get<std::string>() +
                                    " is not in the store and the spec names no URL for it")
        .at_field(".infer.model");
  }
  const MlpModel model = infer_model(model_bytes, model_spec, ".infer.model");
  model_bytes.clear();
  json data_inputs;
  Dataset data = load_dataset(spec["data"], "", 0, ".infer.data", ctx.store, &data_inputs);
  const int begin = spec.value("row_begin", 0), end = spec.value("row_end", data.rows);
  if (end > data.rows) throw data_error("row_end " + std::to_string(end) + " is past the data's " + std::to_string(data.rows) + " rows", ".infer.row_end");
  const int batch = spec["batch"];

  const GemmEngine engine = ctx.gemm_engine();

  std::vector<float> all;
  std::vector<Digest> leaves;
  json batch_hashes = json::array();
  int outputs = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int b = begin; b < end; b += batch) {
    const int n = std::min(batch, end - b);
    std::vector<float> out = mlp_predict(model, data.x.data() + static_cast<size_t>(b) * data.features, n, data.features, engine);
    outputs = static_cast<int>(out.size() / n);
    std::vector<uint8_t> bytes;
    for (int r = 0; r < n; ++r) {
      auto rb = row_bytes(out.data() + static_cast<size_t>(r) * outputs, outputs);
      bytes.insert(bytes.end(), rb.begin(), rb.end());
    }
    Digest h = sha256(bytes.data(), bytes.size());
    batch_hashes.push_back(hex(h));
    leaves.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(h.data()), h.size())));
    all.insert(all.end(), out.begin(), out.end());
    ctx.progress("infer rows " + std::to_string(b + n - begin) + "/" + std::to_string(end - begin));
    ctx.pace(b + n - begin, end - begin, "rows", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Matrix predictions;
  predictions.shape = {static_cast<size_t>(end - begin), static_cast<size_t>(outputs)};
  predictions.data = std::move(all);
  Digest artifact = ctx.store->put(npy_bytes(predictions));
  return {{"inputs", {{"model", spec["model"]["sha256"]}, {"data", data_inputs}}},
          {"row_begin", begin},
          {"row_end", end},
          {"batch", batch},
          {"predictions_sha256", sha256_ref(artifact)},
          {"predictions_format", "npy <f4, rows x outputs"},
          {"trace",
           {{"tree", "rfc6962"},
            {"leaf", "SHA-256 of one batch's predictions, f32 little-endian, rows in order"},
            {"leaves", batch_hashes},
            {"root", sha256_ref(merkle_root(leaves))}}},
          {"metrics", {{"rows_per_s", seconds > 0 ? (end - begin) / seconds : 0.0}}}};
}

}  // namespace grid
