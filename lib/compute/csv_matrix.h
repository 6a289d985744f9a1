// A CSV file of numbers as a float32 matrix (rows x columns).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compute/npy.h"

namespace grid {

// Parses `text` as comma-separated numbers, one row per line (LF or CRLF;
// blank lines and a UTF-8 byte order mark are skipped). The first line is
// a header, kept in `header` when given, if one of its fields is text that
// is not a number. Fields may have spaces around them; numbers are read
// the same in every locale (std::from_chars, rounded to nearest float32; a
// leading '+' is allowed; values too small for float32 become 0).
// Error(Exit::data), its message naming `name`, the line and the column:
// an empty field, a field that is not a number, NaN or infinity, a value
// beyond float32's range, a quoted field (quoting is not supported), a
// row with a different number of fields than the first line, or no rows.
// The result has shape {rows, columns}.
Matrix parse_csv_matrix(std::string_view text, const std::string& name, std::vector<std::string>* header = nullptr);

}  // namespace grid
