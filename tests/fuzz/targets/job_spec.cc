// A stranger's job spec (job-split's input): validated, or refused with
// Error(Exit::data) naming the field; a valid one has a seed.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/jsonl.h"
#include "fuzz_check.h"
#include "jobs/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    grid::json job = grid::parse_json_text(std::string(reinterpret_cast<const char*>(data), size));
    if (!job.is_object()) return 0;
    grid::validate_job(job);
    (void)grid::job_seed(job);
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
  }
  return 0;
}
