// trace and spot for infer results: one leaf per batch of predictions (the
// SHA-256 of the batch's outputs, f32 little-endian, rows in order), their
// root, and the stored predictions. spot re-predicts drawn batches with
// the model and data of the task, through infer_model and mlp_predict as
// job-run does (the same model formats, the same width check).
#include <algorithm>
#include <cmath>

#include "jobs/dataset_load.h"
#include "core/error.h"
#include "compute/infer_model.h"
#include "core/merkle.h"
#include "compute/mlp.h"
#include "core/net.h"
#include "compute/npy.h"
#include "proof/proof_modes.h"
#include "compute/seeded_matrix.h"
#include "core/store.h"

namespace grid {

ModeReport check_trace_infer(CheckContext& c) {
  const json& part = c.message()["infer"];
  const std::vector<Digest> batches = hex_digests(part["trace"]["leaves"]);
  json checked = {{"leaves", batches.size()}};
  const int64_t begin = part["row_begin"], end = part["row_end"], batch = part["batch"];
  if (c.task) {
    const json& spec = (*c.task)["infer"];
    if (spec["batch"].get<int64_t>() != batch)
      return ModeReport::fail("batch " + std::to_string(batch) + ", the task's is " + spec["batch"].dump(), checked);
    if ((spec.contains("row_begin") && spec["row_begin"].get<int64_t>() != begin) ||
        (spec.contains("row_end") && spec["row_end"].get<int64_t>() != end))
      return ModeReport::fail("the result covers rows " + std::to_string(begin) + ".." + std::to_string(end) +
                                  ", the task asks for others",
                              checked);
  }
  const int64_t want = (end - begin + batch - 1) / batch;
  if (static_cast<int64_t>(batches.size()) != want)
    return ModeReport::fail(std::to_string(batches.size()) + " leaves for " + std::to_string(end - begin) +
                                " rows in batches of " + std::to_string(batch) + ": want " + std::to_string(want),
                            checked);
  const std::vector<Digest> leaves = leaf_hashes_of(batches);
  const Digest claimed = ref_digest(part["trace"]["root"]);
  const Digest root = merkle_root(leaves);
  if (root != claimed)
    return ModeReport::fail("the root " + sha256_ref(claimed) + " is not the root of the leaves (" + sha256_ref(root) + ")",
                            checked);
  const int64_t n = static_cast<int64_t>(leaves.size());
  std::vector<int64_t> proved = draw_indices(c.draw.seed, "trace", n, sample_count(*c.opt, n, n));
  if (Status s = check_inclusion(leaves, proved, claimed); !s.ok()) return ModeReport::fail(s.reason(), checked);
  checked["inclusion_proofs"] = proved.size();
  // The stored predictions, when at hand, must be the batches the leaves
  // commit to: predictions_sha256 and the root then name the same outputs.
  const Digest stored = ref_digest(part["predictions_sha256"]);
  if (c.store && c.store->has(stored)) {
    if (!c.store->intact(stored))
      return ModeReport::fail("the stored predictions " + c.store->path(stored) + " do not hash to predictions_sha256",
                              checked);
    Matrix p;
    try {
      p = parse_npy(c.store->get(stored), "the stored predictions");
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      return ModeReport::fail(e.what(), checked);
    }
    if (p.shape.size() != 2 || static_cast<int64_t>(p.rows()) != end - begin)
      return ModeReport::fail("the stored predictions do not have " + std::to_string(end - begin) + " rows", checked);
    const size_t outputs = p.cols();
    for (int64_t b = 0; b < n; ++b) {
      const int64_t rows = std::min(batch, end - begin - b * batch);
      Sha256 h;
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<uint8_t> bytes =
            row_bytes(p.data.data() + static_cast<size_t>(b * batch + r) * outputs, static_cast<int>(outputs));
        h.update(bytes.data(), bytes.size());
      }
      if (h.final() != batches[static_cast<size_t>(b)])
        return ModeReport::fail("batch " + std::to_string(b) + " of the stored predictions does not match leaf " +
                                    std::to_string(b),
                                checked);
    }
    checked["predictions_verified"] = true;
  }
  return ModeReport::pass(checked);
}


ModeReport check_spot_infer(CheckContext& c) {
  json checked = json::object();
  if (!c.task) return task_not_given(c, "spot re-executes it", checked);
  const json& header = c.message()["header"];
  if (header["mode"] != "exact")
    return ModeReport::inconclusive("spot compares exact prediction hashes; this result ran in " +
                                        header["mode"].get<std::string>() + " mode",
                                    checked);
  const json& part = c.message()["infer"];
  const json& spec = (*c.task)["infer"];
  const std::vector<Digest> batches = hex_digests(part["trace"]["leaves"]);
  const int64_t begin = part["row_begin"], end = part["row_end"], batch = part["batch"];
  const int64_t n = static_cast<int64_t>(batches.size());
  if (n != (end - begin + batch - 1) / batch)
    return ModeReport::fail(std::to_string(n) + " leaves for " + std::to_string(end - begin) + " rows in batches of " +
                                std::to_string(batch),
                            checked);
  const int64_t q = sample_count(*c.opt, n, static_cast<int64_t>(std::floor(c.opt->budget * static_cast<double>(n))));
  const std::vector<int64_t> drawn = draw_indices(c.draw.seed, "spot", n, q);
  checked["batches"] = index_list(drawn);
  checked["of"] = n;

  const Digest model_key = ref_digest(spec["model"]["sha256"]);
  Fetched model = fetch_object(c, model_key);
  // The model is the buyer's, named by the task, not the provider's work:
  // a bad copy of it where the verifier looks is no fault of the result.
  // The task's URL is tried then, as for one not there; failing that, the
  // check cannot be made.
  if (model.state != Fetched::State::found && spec["model"].contains("url")) {
    try {
      model.bytes = fetch_bytes(spec["model"]["url"].get<std::string>(), model_key);
      model.state = Fetched::State::found;
    } catch (const Error& e) {
      if (e.code() == Exit::temp_fail) throw;
      model.problem += std::string("; from its URL: ") + e.what();
    }
  }
  if (model.state == Fetched::State::corrupt)
    return ModeReport::inconclusive("the task's model is corrupt where the verifier reads it: " + model.problem, checked);
  if (model.state == Fetched::State::absent) return ModeReport::inconclusive("the model is unavailable: " + model.problem, checked);
  Dataset data;
  try {
    data = load_dataset(spec["data"], "", 0, ".infer.data");
  } catch (const Error& e) {
    if (e.code() == Exit::temp_fail) throw;
    return ModeReport::inconclusive(std::string("cannot load the task's data: ") + e.what(), checked);
  }
  if (end > data.rows)
    return ModeReport::fail("row_end " + std::to_string(end) + " is past the data's " + std::to_string(data.rows) + " rows",
                            checked);
  MlpModel mlp;
  try {
    mlp = infer_model(model.bytes, spec["model"], ".infer.model");
  } catch (const Error& e) {
    if (e.code() != Exit::data) throw;
    return ModeReport::inconclusive(std::string("the task's model cannot be used: ") + e.what(), checked);
  }
  GemmEngine engine;
  engine.cuda = c.device.backend == Backend::cuda;
  engine.threads = c.opt->threads;
  for (int64_t b : drawn) {
    const int64_t first = begin + b * batch, rows = std::min(batch, end - first);
    std::vector<float> out;
    try {
      out = mlp_predict(mlp, data.x.data() + static_cast<size_t>(first) * data.features, static_cast<int>(rows),
                        data.features, engine);
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      return ModeReport::inconclusive(std::string("the model cannot predict the task's data: ") + e.what(), checked);
    }
    const int outputs = static_cast<int>(out.size() / static_cast<size_t>(rows));
    Sha256 h;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<uint8_t> bytes = row_bytes(out.data() + static_cast<size_t>(r) * outputs, outputs);
      h.update(bytes.data(), bytes.size());
    }
    if (h.final() != batches[static_cast<size_t>(b)])
      return ModeReport::fail("batch " + std::to_string(b) + " (rows " + std::to_string(first) + ".." +
                                  std::to_string(first + rows) + "): the recomputed predictions differ from leaf " +
                                  std::to_string(b),
                              checked);
  }
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, sample_detection(*c.opt, n, q));
}

}  // namespace grid
