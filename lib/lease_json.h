// Parsing the lines of a market file quickly. The messages that market
// tools write are plain: ASCII text, simple escapes, ordinary numbers. A
// line like that is parsed here directly into a json value, several times
// faster than the general parser; any other line, and every malformed one,
// goes to parse_json_text, so values and error messages are the same.
#pragma once

#include <string>

#include "canonical_json.h"

namespace grid {

// parse_json_text(text), faster on the plain lines of market messages.
json parse_json_line(const std::string& text);

}  // namespace grid
