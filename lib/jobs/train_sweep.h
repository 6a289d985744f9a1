// Hyperparameter sweeps of a train spec: a grid of values per setting, or
// N random draws from declared ranges. Settings are dotted paths into the
// train spec ("optimizer.lr", "batch").
#pragma once

#include <cstdint>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

struct SweepPoint {
  json settings;  // {"optimizer.lr": 0.01, ...}
  json spec;      // the train spec with them applied, "sweep" removed
};

// Throws Error(Exit::data) naming the field under `path` (".train.sweep").
void validate_sweep(const json& sweep, const std::string& path);

// Every configuration, in a fixed order: grid points with settings sorted
// by path and values in the order given (the last path varies fastest);
// random draws from Philox(seed) in draw order.
std::vector<SweepPoint> expand_sweep(const json& train_spec, uint64_t seed);

}  // namespace grid
