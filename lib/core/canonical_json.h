// RFC 8785 JSON Canonicalization Scheme: the bytes that ids are hashes of.
#pragma once

#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace grid {

using json = nlohmann::json;

}  // namespace grid

// One unit (json_instance.cc) compiles every member of json; the others
// call it rather than each compiling its own copies of what it uses, which
// was a third of the sanitizer build's time. Optimized units still inline
// what they would have. The fuzz build defines GRID_JSON_EVERY_UNIT, so its
// sanitizers see inside json in each target's own instrumented code.
#ifndef GRID_JSON_EVERY_UNIT
extern template class nlohmann::basic_json<>;
#endif

namespace grid {

// Canonical UTF-8 text of `value`: object members sorted by their UTF-16
// code units, no insignificant whitespace, minimal string escapes, numbers
// in ECMAScript form. Throws Error(Exit::data) naming the field for a
// number JSON cannot carry exactly: a non-finite float, or an integer
// beyond +-2^53 (money must never be rounded silently) unless its digits
// are the canonical form of a double (1e17 is written 100000000000000000),
// so that canonical form canonicalizes to itself.
std::string canonical_json(const json& value);

// canonical_json of the object `value` less its top-level members named in
// `skip`: what a message id covers (all but "id" and "sig") without
// copying the message to drop them.
std::string canonical_json_without(const json& value, std::initializer_list<std::string_view> skip);

// A whole number held in a double (an estimate, a count) as a JSON
// integer, with the digits canonical_json gives the double, so the
// message's id is the same either way: 10137600.0 is 10137600, and 2^60
// is 1152921504606847000. A value that is not whole, or past 2^63 where
// no integer type holds it, stays a double.
json whole_number(double value);

// ECMAScript Number.prototype.toString of a finite double (RFC 8785
// section 3.2.2.3). Throws Error(Exit::data) for NaN and infinities.
std::string es_number(double value);

}  // namespace grid
