// The members a gpu-bench profile can hold, on any device, so that a
// requirement naming one that no profile has (kinds.exact.trian.step) is
// caught when the order is made, not by an order no provider fills.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

// The tree of a profile's members: each object member by name, an array's
// elements under "#"; a leaf is an empty object. What gpu-bench writes on a
// GPU is in it too (gpus, pcie, nccl, the cuBLAS flavours), though no test
// here can measure those.
const json& profile_schema();

// Where a path leaves the schema: `known` is how many of its steps are
// members (all of them when the path is known), `there` the member names
// at the step that is not ("#" where an array's index was expected). A step
// is a member name (string) or an array index (integer).
struct SchemaMatch {
  size_t known = 0;
  bool whole = false;
  std::vector<std::string> there;
};
SchemaMatch match_profile_path(const std::vector<json>& steps);

}  // namespace grid
