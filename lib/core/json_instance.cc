// The one instantiation of json that canonical_json.h's extern template
// declaration points every other unit to.
#include "core/canonical_json.h"

#ifndef GRID_JSON_EVERY_UNIT
template class nlohmann::basic_json<>;
#endif
