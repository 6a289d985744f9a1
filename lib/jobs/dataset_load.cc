#include "jobs/dataset_load.h"

#include <cmath>
#include <optional>

#include "compute/csv_matrix.h"
#include "core/error.h"
#include "jobs/data_spec.h"
#include "jobs/input_fetch.h"
#include "core/net.h"
#include "compute/npy.h"
#include "compute/synthetic_data.h"

namespace grid {
namespace {

// The bytes of a file reference, checked against its "sha256" when it
// names one; *got is their SHA-256.
std::string read_ref(const json& ref, const std::string& field, Store* store, Digest* got) {
  std::optional<Digest> expect;
  if (ref.contains("sha256")) {
    Digest d;
    parse_sha256_ref(ref["sha256"].get<std::string>(), &d);
    expect = d;
  }
  if (ref.contains("url")) {  // data_spec.cc: a URL always names its sha256
    *got = *expect;
    return fetch_input(ref["url"].get<std::string>(), *expect, store, field);
  }
  const std::string name = ref["path"].get<std::string>();
  std::string bytes;
  try {
    bytes = read_input(name, std::nullopt);
  } catch (Error& e) {
    // Which of the task's files is missing: the field names it.
    if (e.field().empty()) e.at_field(field + ".path");
    throw;
  }
  *got = sha256(bytes);
  if (expect && *got != *expect) throw input_mismatch(name, *got, *expect, field);
  return bytes;
}

// The bytes of data[which], with *name set to how errors call the file.
std::string read_data_file(const json& data, const std::string& which, const std::string& path, Store* store, json* inputs,
                      std::string* name) {
  const json& ref = data[which];
  *name = ref.contains("path") ? ref["path"].get<std::string>() : ref["url"].get<std::string>();
  Digest got;
  std::string bytes = read_ref(ref, path + "." + which, store, &got);
  if (inputs) (*inputs)[which] = sha256_ref(got);
  return bytes;
}

Matrix read_matrix(const json& data, const std::string& which, const std::string& path, Store* store, json* inputs) {
  std::string name;
  const std::string bytes = read_data_file(data, which, path, store, inputs, &name);
  Matrix m;
  try {
    m = data["format"] == "npy" ? parse_npy(bytes, name) : parse_csv_matrix(bytes, name, nullptr, data_delimiter(data));
  } catch (Error& e) {
    throw e.at_field(path + "." + which);
  }
  if (m.shape.size() == 1) m.shape.push_back(1);
  if (m.shape.size() != 2) throw data_error(name + " is not a matrix (rows x columns)", path + "." + which);
  return m;
}

// softmax_xent's labels from a CSV y: numbers, or class names.
CsvLabels read_csv_labels(const json& data, const std::string& path, int rows, Store* store, json* inputs) {
  std::string name;
  const std::string bytes = read_data_file(data, "y", path, store, inputs, &name);
  try {
    return parse_csv_labels(bytes, name, static_cast<size_t>(rows), data_delimiter(data));
  } catch (Error& e) {
    throw e.at_field(path + ".y");
  }
}

void check_label_rows(const Matrix& y, int rows, const std::string& path) {
  if (static_cast<int>(y.shape[0]) != rows)
    throw data_error("y has " + std::to_string(y.shape[0]) + " rows, x has " + std::to_string(rows), path + ".y");
}

}  // namespace

Dataset load_dataset(const json& data, const std::string& loss, int outputs, const std::string& path, Store* store,
                     json* inputs) {
  if (inputs) *inputs = json::object();
  if (data.contains("synthetic")) {
    if (inputs) *inputs = {{"synthetic", sha256_ref(sha256(canonical_json(data["synthetic"])))}};
    const json& s = data["synthetic"];
    const int rows = s["rows"], features = s["features"];
    const uint64_t seed = s["seed"];
    if (s["kind"] == "blobs") return synthetic_blobs(seed, rows, features, s["classes"]);
    return synthetic_teacher(seed, rows, features, s["outputs"]);
  }
  Matrix x = read_matrix(data, "x", path, store, inputs);
  Dataset d;
  d.rows = static_cast<int>(x.shape[0]);
  d.features = static_cast<int>(x.shape[1]);
  d.outputs = outputs;
  d.x = std::move(x.data);
  if (data.contains("rows") && data["rows"].get<int64_t>() != d.rows)
    throw data_error("the data has " + std::to_string(d.rows) + " rows, not " + data["rows"].dump(), path + ".rows");
  if (loss.empty()) return d;  // inference needs no labels
  if (!data.contains("y")) throw data_error("training needs labels or targets", path + ".y");
  if (loss == "softmax_xent") {
    Matrix y;
    if (data["format"] == "csv") {
      CsvLabels l = read_csv_labels(data, path, d.rows, store, inputs);
      if (!l.names.empty()) {
        if (l.names.size() > static_cast<size_t>(outputs))
          throw data_error("y names " + std::to_string(l.names.size()) + " classes, the model has " +
                               std::to_string(outputs) + " outputs", path + ".y");
        d.labels = std::move(l.classes);
        d.class_names = std::move(l.names);
        return d;
      }
      y = std::move(l.numbers);
    } else {
      y = read_matrix(data, "y", path, store, inputs);
    }
    check_label_rows(y, d.rows, path);
    if (y.shape[1] != 1) throw data_error("softmax_xent needs one class label per row", path + ".y");
    for (size_t i = 0; i < y.data.size(); ++i) {
      float v = y.data[i];
      if (!(v >= 0 && v < outputs && v == std::floor(v)))
        throw data_error("row " + std::to_string(i) + ": label " + std::to_string(v) + " is not a class 0.." +
                             std::to_string(outputs - 1), path + ".y");
      d.labels.push_back(static_cast<int32_t>(v));
    }
  } else {
    Matrix y = read_matrix(data, "y", path, store, inputs);
    check_label_rows(y, d.rows, path);
    if (static_cast<int>(y.shape[1]) != outputs)
      throw data_error("mse needs " + std::to_string(outputs) + " targets per row, y has " + std::to_string(y.shape[1]), path + ".y");
    d.targets = std::move(y.data);
  }
  return d;
}

}  // namespace grid
