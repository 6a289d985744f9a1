// Turns the "data" part of a spec (data_spec.h) into a Dataset: synthetic
// data made from its seed, or .npy / CSV files read by path or URL with
// their SHA-256 checked.
#pragma once

#include <string>

#include "canonical_json.h"
#include "mlp.h"

namespace grid {

// x gives the rows and features. y, when given, holds one label per row
// (softmax_xent: an integer class 0..outputs-1) or `outputs` targets per
// row (mse). `path` names the spec field in errors (".train.data").
Dataset load_dataset(const json& data, const std::string& loss, int outputs, const std::string& path);

// What the data is, for a result's header: the SHA-256 of the canonical
// synthetic spec, or those of the files.
json dataset_inputs(const json& data);

}  // namespace grid
