#include "measure/gemm_check.h"

#include <cmath>

namespace grid {

json check_gemm_samples(const GemmTolerance& tol, int k, const std::vector<float>& A, const std::vector<float>& B,
                        int n, const std::vector<std::pair<int, int>>& at, const std::vector<float>& got, bool* ok) {
  double worst = 0;
  *ok = got.size() == at.size();
  for (size_t s = 0; s < at.size() && s < got.size(); ++s) {
    auto [i, j] = at[s];
    double ref = 0, mag = 0;
    for (int p = 0; p < k; ++p) {
      double prod = static_cast<double>(A[static_cast<size_t>(i) * k + p]) * B[static_cast<size_t>(p) * n + j];
      ref += prod;
      mag += std::fabs(prod);
    }
    // The margin of 2 covers the rounding of the bound itself.
    double bound =
        2 * ((2 * tol.input_unit_roundoff + k * tol.accum_unit_roundoff) * mag + 2.0 * k * tol.input_abs_error) +
        1e-30;
    double err = std::fabs(static_cast<double>(got[s]) - ref);
    if (!(err <= bound)) *ok = false;  // NaN fails too
    worst = std::fmax(worst, mag > 0 ? err / mag : err);
  }
  return {{"entries", at.size()}, {"max_error_over_magnitude", worst}, {"ok", *ok}};
}

}  // namespace grid
