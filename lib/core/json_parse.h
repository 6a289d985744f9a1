// JSON text to values, with the limits gridutils adds to RFC 8259 (nesting
// depth, I-JSON's unique member names, numbers within double's range).
// Messages are read with simdjson, several times faster than nlohmann's
// lexer (most of an award's time besides its signature checks); whatever
// that path does not take as it is goes through nlohmann's parser, which
// gives the errors, so both paths build the same values and refuse the
// same texts with the same messages.
#pragma once

#include <string>

#include "core/canonical_json.h"

namespace grid {

// Arrays and objects nest at most this deep in what we read: every walk
// over a message (its canonical form, its dump) recurses once per level,
// so a stranger's 40 000 brackets must be refused, not followed off the
// stack. Real messages nest a handful of levels.
constexpr size_t kMaxJsonDepth = 64;

// Parses JSON text (one line, or a whole file). Exit::data with the
// parser's reason, and for what RFC 8259 allows but we refuse: nesting
// deeper than kMaxJsonDepth, a member name twice in one object (I-JSON,
// RFC 7493), a number beyond double's range.
json parse_json_text(const std::string& text);

// parse_json_text of one input line that must hold a message: Exit::data
// "line is not a JSON object" for any other value.
json parse_json_line(const std::string& text);

// parse_json_text through nlohmann's parser alone: the reference the
// simdjson path is held to (tests/unit/json_parse_test.cc, the json_parse
// fuzz target).
json parse_json_text_nlohmann(const std::string& text);

}  // namespace grid
