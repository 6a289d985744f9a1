#include "measure/store_write_cost.h"

#include <algorithm>

#include "measure/timing.h"

namespace grid {

StoreWriteCost store_write_cost(const StoreWriteSamples& s, size_t small_bytes, size_t big_bytes) {
  auto med = [](const std::vector<double>& v) { return spread_of(v).median; };
  StoreWriteCost c;
  c.per_write = std::max(0.0, med(s.disk_small) - med(s.fit_small));
  if (big_bytes > small_bytes && !s.disk_big.empty() && !s.fit_big.empty()) {
    const double extra = (med(s.disk_big) - med(s.disk_small)) - (med(s.fit_big) - med(s.fit_small));
    c.per_mb = std::max(0.0, extra / ((big_bytes - small_bytes) / 1e6));
  }
  return c;
}

}  // namespace grid
