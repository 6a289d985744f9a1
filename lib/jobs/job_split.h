// job-split: cut jobs into tasks, deterministically.
#pragma once

#include <string>
#include <vector>

#include "jobs/job_spec.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

struct SplitCommand {
  std::vector<std::string> inputs;
  std::string weights;  // --weights profiles.jsonl
  int64_t shard_rows = 0;
  int64_t tasks = 0;
  std::string delimiter;  // --delimiter: of CSV data that names none
  bool pass = false;
};

// Reads signed gpu-bench profiles into weighted shares. A profile that is
// unsigned, badly signed, faulty, or without a positive exact GEMM rate is
// Exit::data naming its line.
std::vector<SplitOptions::Share> read_weights(Tool& tool, const std::string& path);

// Gives the CSV data of each task that names no delimiter `delimiter`
// (data_spec.h); a task whose data names another is Exit::data at
// ".<type>.data.delimiter". Other data is left as it is.
void set_csv_delimiter(std::vector<json>& tasks, const std::string& delimiter);

int job_split_main(Tool& tool, const SplitCommand& cmd);

}  // namespace grid
