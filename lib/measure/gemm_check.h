// gpu-bench's correctness check of a GEMM result (as gpu-burn and DCGM do):
// sampled entries of C against a float64 reference, within a forward error
// bound for the dtype the card computed in.
#pragma once

#include <utility>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

struct GemmTolerance {
  double input_unit_roundoff;  // of the input type; the error a product starts with
  double accum_unit_roundoff;  // of the accumulation
  double input_abs_error = 0;  // where small inputs go subnormal (fp8): per product, operands within [-1, 1]
};

// Checks got[s] == C[at[s]] for C = A B (A m x k, B k x n, row-major) with
// |c - ref| <= 2 ((2 u_in + k u_acc) sum |a b| + 2 k e_abs); a NaN, or fewer
// values than positions, fails. Sets *ok; returns {"entries",
// "max_error_over_magnitude", "ok"} for the profile.
json check_gemm_samples(const GemmTolerance& tol, int k, const std::vector<float>& A, const std::vector<float>& B,
                        int n, const std::vector<std::pair<int, int>>& at, const std::vector<float>& got, bool* ok);

}  // namespace grid
