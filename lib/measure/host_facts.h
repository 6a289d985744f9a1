// What the host is: CPU model, logical cores, memory, kernel.
#pragma once

#include "core/canonical_json.h"

namespace grid {

// {"cpu_model", "logical_cores", "memory_bytes", "os"}
json host_facts();

}  // namespace grid
