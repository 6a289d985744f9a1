// Column padding for the tools' human tables (--format table, balance).
#pragma once

#include <string>

namespace grid {

// `s` then spaces up to `width` columns; a longer `s` is kept whole.
std::string pad_right(const std::string& s, size_t width);
// Spaces up to `width` columns, then `s` (numbers line up on the right).
std::string pad_left(const std::string& s, size_t width);

}  // namespace grid
