// Turns the "data" part of a spec (data_spec.h) into a Dataset: synthetic
// data made from its seed, or .npy / CSV files read by path or URL with
// their SHA-256 checked.
#pragma once

#include <string>

#include "core/canonical_json.h"
#include "compute/mlp.h"

namespace grid {

class Store;

// x gives the rows and features. y, when given, holds one label per row
// (softmax_xent: an integer class 0..outputs-1, or in a CSV file class
// names, numbered as parse_csv_labels says and kept in class_names) or
// `outputs` targets per row (mse). CSV files are split at the data's
// "delimiter" (data_spec.h). `path` names the spec field in errors
// (".train.data"); a file whose bytes do not hash to its "sha256" is
// Exit::data at that field (".train.data.x.sha256").
// With `store`, files named by URL come through it (input_fetch.h): looked
// up there by their sha256, else downloaded into it. Without, into memory.
// With `inputs`, it is set to what the data was, for a result's header:
// {"synthetic": SHA-256 of the canonical synthetic spec}, or per file
// ("x", "y") the SHA-256 of the bytes actually read, named or not.
Dataset load_dataset(const json& data, const std::string& loss, int outputs, const std::string& path,
                     Store* store = nullptr, json* inputs = nullptr);

}  // namespace grid
