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
// `s` safe to print as one line of plain text: line breaks and tabs as
// \n, \r and \t, every other control character (ESC, and the C1
// controls U+0080..U+009F) as \u00XX, and a byte that is no part of
// valid UTF-8 as \xXX; valid UTF-8 unchanged. Messages quote strangers'
// strings: one of them must not break an error into lines or drive the
// terminal.
std::string one_line(const std::string& s);

}  // namespace grid
