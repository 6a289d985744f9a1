// Text for humans: column padding for the tools' tables (--format table,
// balance) and word lists in messages.
#pragma once

#include <string>
#include <vector>

namespace grid {

// `s` then spaces up to `width` columns; a longer `s` is kept whole.
std::string pad_right(const std::string& s, size_t width);
// Spaces up to `width` columns, then `s` (numbers line up on the right).
std::string pad_left(const std::string& s, size_t width);
// The words with `between` between each two ("a, b, c").
std::string join(const std::vector<std::string>& words, const std::string& between = ", ");

}  // namespace grid
