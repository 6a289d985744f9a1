// Proof of GPU: a buyer's challenge {seed, n, dtype, deadline_ms} is
// answered with a timed exact GEMM of two matrices drawn from the seed,
// committed to by the SHA-256 of C and an RFC 6962 root over C's rows.
// gpu-bench answers; proof-check regenerates sampled rows to check.
#pragma once

#include <cstdint>
#include <string>

#include "core/canonical_json.h"
#include "compute/device.h"

namespace grid {

// Largest n a challenge may ask for: three n x n FP32 matrices in memory.
constexpr int kMaxChallengeN = 16384;

// An answer times the GEMM up to this many runs (gpu-bench --challenge-runs)
// and reports the fastest: an honest provider on a busy machine loses a
// run to a neighbour's burst, not the challenge. Runs stop early once their
// total passes the request's deadline, so a big n costs about one deadline.
constexpr int kDefaultChallengeRuns = 5;
constexpr int kMaxChallengeRuns = 100;

struct ChallengeRequest {
  std::string id;
  uint64_t seed = 0;
  int n = 0;
  std::string dtype;  // "f32": the exact kernel, the only one a hash can check
  int64_t deadline_ms = 0;
};

// Reads a challenge request message; Error(Exit::data) naming the field.
ChallengeRequest parse_challenge_request(const json& message);

// True when `message` is a challenge answer rather than a request.
bool is_challenge_answer(const json& message);

// Runs the challenge on `device` (at most `max_runs` timed runs, at least
// one) and returns the unsigned answer message:
// {kind: challenge, request: <request id>, seed, n, dtype, deadline_ms,
//  answer: {device, elapsed_ms (the fastest run), runs_ms, tflops,
//           within_deadline, c_sha256, row_root, row_leaves}}.
// Runs that disagree on C's hash are a DeviceError: the exact kernel gives
// the same bits every time, so the device is faulty.
json answer_challenge(const ChallengeRequest& request, const Device& device, int threads,
                      int max_runs = kDefaultChallengeRuns);

}  // namespace grid
