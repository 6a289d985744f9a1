// Typed, range-checked reads of message fields. Every failure is an
// Error(Exit::data) that names the field by its path (".train.batch").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

// `path` is the object's own path ("" for the message, ".train" below it).
int64_t get_int(const json& obj, const std::string& name, const std::string& path, int64_t lo, int64_t hi);
std::optional<int64_t> get_int_opt(const json& obj, const std::string& name, const std::string& path, int64_t lo,
                                   int64_t hi);
double get_number(const json& obj, const std::string& name, const std::string& path, double lo, double hi);
std::optional<double> get_number_opt(const json& obj, const std::string& name, const std::string& path, double lo,
                                     double hi);
std::string get_string(const json& obj, const std::string& name, const std::string& path);
// A string of the form sha256:<64 hex digits>: a message's or object's hash.
void require_ref(const json& obj, const std::string& name, const std::string& path);
// The most micro-units an amount, price or deposit may be: 2^53 - 1, the
// largest integer every JSON reader holds exactly (I-JSON, RFC 7493), so
// what lease-bid lets a buyer offer, the ledger can settle.
constexpr int64_t kMaxMicros = (int64_t{1} << 53) - 1;
// A *key* member: "ed25519:<64 lower-case hex digits>", returned as it is.
std::string get_key(const json& obj, const std::string& name, const std::string& path);
// Absent is nullopt; present must be true or false.
std::optional<bool> get_bool_opt(const json& obj, const std::string& name, const std::string& path);
// One of `allowed`; the error lists them.
std::string get_choice(const json& obj, const std::string& name, const std::string& path,
                       const std::vector<std::string>& allowed);
const json& get_object(const json& obj, const std::string& name, const std::string& path);
const json& get_array(const json& obj, const std::string& name, const std::string& path);
// Every member of `obj` (the object at `path`) is one of `known`: a
// misspelt optional field is an error, not a silent default. Does nothing
// when `obj` is not an object.
void check_known_fields(const json& obj, const std::string& path, const std::vector<std::string>& known);

}  // namespace grid
