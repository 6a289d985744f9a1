// Text for humans: column padding for the tools' tables (--format table,
// balance), word lists and numbers in messages.
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
// `v` to `digits` significant digits, printf's %g: "0.5", "1.2e+09".
std::string short_number(double v, int digits = 6);

}  // namespace grid
