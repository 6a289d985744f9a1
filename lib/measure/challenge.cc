#include "measure/challenge.h"

#include <algorithm>
#include <vector>

#include "core/device_error.h"
#include "core/error.h"
#include "core/fields.h"
#include "compute/exact_gemm.h"
#include "compute/gpu_bench_cuda.h"
#include "core/merkle.h"
#include "core/message.h"
#include "compute/seeded_matrix.h"
#include "measure/timing.h"

namespace grid {

bool is_challenge_answer(const json& message) { return message.contains("answer"); }

ChallengeRequest parse_challenge_request(const json& message) {
  check_envelope(message);
  if (require_string(message, "kind") != "challenge")
    throw data_error("expected a challenge message, got kind " + message["kind"].get<std::string>(), ".kind");
  if (is_challenge_answer(message)) throw data_error("this is a challenge answer, not a request", ".answer");
  ChallengeRequest r;
  r.id = message_id(message);
  r.seed = static_cast<uint64_t>(get_int(message, "seed", "", 0, int64_t{1} << 53));
  r.n = static_cast<int>(get_int(message, "n", "", 1, kMaxChallengeN));
  r.dtype = require_string(message, "dtype");
  if (r.dtype != "f32") throw data_error("dtype " + r.dtype + " cannot be checked by hash; use f32", ".dtype");
  r.deadline_ms = get_int(message, "deadline_ms", "", 1, int64_t{1} << 40);
  return r;
}

json answer_challenge(const ChallengeRequest& r, const Device& device, int threads, int max_runs) {
  const int n = r.n;
  std::vector<float> A = seeded_matrix(r.seed, kStreamA, n, n, threads);
  std::vector<float> B = seeded_matrix(r.seed, kStreamB, n, n, threads);
  std::vector<float> C(static_cast<size_t>(n) * n);
  // A CPU run's time is its on-core time: the CPU time its threads used,
  // divided by their number (never more than the wall time). Other
  // processes sharing the cores stretch the wall time of an honest answer
  // by their share; they do not change what the GEMM costs on a core.
  // A GPU run is timed by the device's events.
  const bool on_gpu = device.backend == Backend::cuda;
  const int used = exact_gemm_threads(n, n, n, threads);
  // A run's seconds: `counted` is what the answer reports (on-core or device).
  struct RunTime {
    double wall, counted;
  };
  auto timed_gemm = [&]() -> RunTime {
    if (on_gpu) {
      const double s = cuda_exact_gemm_timed(device.index, n, n, n, A.data(), B.data(), C.data());
      return {s, s};
    }
    const WallAndCpu t = time_wall_and_cpu([&] { exact_gemm_cpu(n, n, n, A.data(), n, B.data(), n, C.data(), n, threads); });
    return {t.wall, std::min(t.wall, t.cpu / used)};
  };
  json runs_ms = json::array(), runs_wall_ms = json::array();
  double seconds = 0, total = 0;
  Digest c_sha;
  for (int run = 0; run < std::max(max_runs, 1); ++run) {
    const RunTime t = timed_gemm();
    const double s = t.counted;
    const Digest h = matrix_sha256(C.data(), n, n);
    if (run == 0) c_sha = h;
    else if (h != c_sha)
      throw DeviceError("challenge " + r.id + ": run " + std::to_string(run + 1) + " of the exact GEMM on " +
                        device.name() + " gave C " + sha256_ref(h) + ", run 1 gave " + sha256_ref(c_sha) +
                        ": the device is faulty");
    runs_ms.push_back(s * 1e3);
    runs_wall_ms.push_back(t.wall * 1e3);
    seconds = run == 0 ? s : std::min(seconds, s);
    total += t.wall;
    if (total * 1e3 >= static_cast<double>(r.deadline_ms)) break;
  }
  std::vector<Digest> leaves = row_leaf_hashes(C.data(), n, n);
  json leaf_hex = json::array();
  for (const Digest& d : leaves) leaf_hex.push_back(hex(d));
  const double elapsed_ms = seconds * 1e3;
  return {{"kind", "challenge"},
          {"v", kMessageVersion},
          {"request", r.id},
          {"seed", r.seed},
          {"n", n},
          {"dtype", r.dtype},
          {"deadline_ms", r.deadline_ms},
          {"answer",
           {{"device", device.name()},
            {"elapsed_ms", elapsed_ms},
            {"runs_ms", runs_ms},
            {"runs_wall_ms", runs_wall_ms},
            {"timing", on_gpu ? "device" : "on-core"},
            {"tflops", seconds > 0 ? 2.0 * n * n * n / seconds / 1e12 : 0.0},
            {"within_deadline", elapsed_ms <= static_cast<double>(r.deadline_ms)},
            {"c_sha256", sha256_ref(c_sha)},
            {"row_root", sha256_ref(merkle_root(leaves))},
            {"row_leaves", leaf_hex}}}};
}

}  // namespace grid
