// What a store write on the disk costs beyond one in memory: gpu-bench's
// kinds.*.store_write and store_mb (doc/protocol.md, "profile"), from
// writes timed in pairs on the disk and on the store the reference tasks
// ran on (in memory where there is one).
#pragma once

#include <cstddef>
#include <vector>

namespace grid {

// Seconds of each timed write: small objects and result-sized ones, on
// the disk and on the reference tasks' store.
struct StoreWriteSamples {
  std::vector<double> disk_small, fit_small, disk_big, fit_big;
};

struct StoreWriteCost {
  double per_write = 0;  // seconds, one fsynced write of a small object
  double per_mb = 0;     // seconds per 10^6 bytes beyond that
};

// The medians' differences, per write and per MB between writes of
// `small_bytes` and of `big_bytes`, never negative. Medians: a shared
// disk's fsyncs come in bursts (a write there took 0.4 ms, then 10 ms a
// minute later), so a mean would follow whatever burst the samples hit.
StoreWriteCost store_write_cost(const StoreWriteSamples& s, size_t small_bytes, size_t big_bytes);

}  // namespace grid
