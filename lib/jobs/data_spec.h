// The "data" part of a train or infer spec: a synthetic dataset made from a
// seed, or files (.npy or CSV) by path or URL with an optional SHA-256.
#pragma once

#include <cstdint>
#include <string>

#include "core/canonical_json.h"
#include "jobs/job_spec.h"

namespace grid {

// Throws Error(Exit::data) naming the field under `path`. For
// RunsOn::elsewhere, files must be named by URL: a "path" is on the
// buyer's disk, which a provider cannot read.
void validate_data(const json& data, const std::string& path, RunsOn where);

// Exit::data at `field` unless `url` is http, https or file (net.h).
void check_input_url(const std::string& url, const std::string& field);

// The CSV files' delimiter: "delimiter" (one character: a tab, or ASCII
// punctuation other than the quote and the signs of a number) where the
// spec names one, else ','. Only CSV data names one.
char data_delimiter(const json& data);

// Why `d` is no delimiter ("" when it is one): for a spec's and a flag's.
std::string delimiter_problem(const std::string& d);

// Rows, when the spec says without reading a file (synthetic data, or a
// "rows" given beside the files); -1 otherwise.
int64_t data_rows_declared(const json& data);

// Features (columns of x) and outputs, when declared; -1 otherwise.
int64_t data_features_declared(const json& data);
int64_t data_outputs_declared(const json& data);

}  // namespace grid
