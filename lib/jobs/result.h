// The result format: what names a result's kernel, the task a message
// carries, the output a result commits to and its seal. job-run writes
// results; proof-check, lease-bid and pay-settle read them.
#pragma once

#include <string>

#include "core/canonical_json.h"

namespace grid {

// Names the code that produced a result (header.kernel): a verifier
// re-executes with the same definitions (exact_gemm.h, mlp.h) or knows it
// cannot. Fast mode's bits depend on the BLAS and libm at hand; it is
// checked by tolerance, and any kernel name starting with kFastKernelFamily
// is fast mode.
constexpr const char* kExactKernel = "grid-exact-1";
constexpr const char* kFastKernelFamily = "grid-fast-1";
constexpr const char* kFastKernel = "grid-fast-1 (OpenBLAS, libm)";
constexpr const char* kFastKernelCuda = "grid-fast-1 (cuBLAS FP32, libm)";

// The task inside a message: a task itself, or a lease's "task". Returns
// nullptr for anything else (passed through with --pass).
const json* task_of(const json& message);

// The output a result commits to (train: final.state_sha256, gemm:
// c_sha256, infer: predictions_sha256); "" when it has none.
std::string result_output(const json& result);

// A result's seal: "sha256:" + SHA-256 of "gridutils seal v1\n" provider
// "\n" task "\n" output. Bound to the provider's key, it is what a provider
// publishes before anyone reveals a result, so that a provider who copies
// another's published output cannot show a seal committed before it saw it
// (proof-check --mode quorum --seals).
std::string result_seal(const std::string& provider, const std::string& task_id, const std::string& output);

}  // namespace grid
