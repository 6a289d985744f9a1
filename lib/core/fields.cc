#include "core/fields.h"

#include <cmath>

#include "core/error.h"
#include "core/message.h"
#include "core/text_pad.h"

namespace grid {
namespace {

std::string type_mismatch(const char* want, const json& v) { return std::string("expected ") + want + ", got " + v.type_name(); }

}  // namespace

int64_t get_int(const json& obj, const std::string& name, const std::string& path, int64_t lo, int64_t hi) {
  const json& v = require_field(obj, name, path);
  const std::string field = path + "." + name;
  if (!v.is_number_integer()) {
    // 3.0 is an integer too, as far as JSON is concerned.
    if (v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>()) &&
        std::fabs(v.get<double>()) < 9007199254740992.0) {
      int64_t x = static_cast<int64_t>(v.get<double>());
      if (x < lo || x > hi) throw data_error(std::to_string(x) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi), field);
      return x;
    }
    throw data_error(type_mismatch("an integer", v), field);
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    throw data_error("integer too large", field);
  int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) throw data_error(std::to_string(x) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi), field);
  return x;
}

std::optional<int64_t> get_int_opt(const json& obj, const std::string& name, const std::string& path, int64_t lo,
                                   int64_t hi) {
  if (!obj.is_object() || !obj.contains(name)) return std::nullopt;
  return get_int(obj, name, path, lo, hi);
}

double get_number(const json& obj, const std::string& name, const std::string& path, double lo, double hi) {
  const json& v = require_field(obj, name, path);
  if (!v.is_number()) throw data_error(type_mismatch("a number", v), path + "." + name);
  double x = v.get<double>();
  if (!(x >= lo && x <= hi))
    throw data_error(es_number(x) + " is outside " + es_number(lo) + ".." + es_number(hi), path + "." + name);
  return x;
}

std::optional<double> get_number_opt(const json& obj, const std::string& name, const std::string& path, double lo,
                                     double hi) {
  if (!obj.is_object() || !obj.contains(name)) return std::nullopt;
  return get_number(obj, name, path, lo, hi);
}

std::string get_string(const json& obj, const std::string& name, const std::string& path) {
  return require_string(obj, name, path);
}

void require_ref(const json& obj, const std::string& name, const std::string& path) {
  Digest d;
  if (!parse_sha256_ref(get_string(obj, name, path), &d)) throw data_error("expected sha256:<64 lower-case hex digits>", path + "." + name);
}

std::string get_key(const json& obj, const std::string& name, const std::string& path) {
  std::string key = get_string(obj, name, path);
  std::array<uint8_t, 32> pub;
  if (!parse_public_key_ref(key, &pub)) throw data_error(name + " must be ed25519:<64 lower-case hex digits>", path + "." + name);
  return key;
}

std::optional<bool> get_bool_opt(const json& obj, const std::string& name, const std::string& path) {
  if (!obj.is_object() || !obj.contains(name)) return std::nullopt;
  const json& v = obj[name];
  if (!v.is_boolean()) throw data_error(type_mismatch("a boolean", v), path + "." + name);
  return v.get<bool>();
}

std::string get_choice(const json& obj, const std::string& name, const std::string& path,
                       const std::vector<std::string>& allowed) {
  std::string v = require_string(obj, name, path);
  for (const auto& a : allowed)
    if (v == a) return v;
  throw data_error("\"" + v + "\" is not one of " + join(allowed), path + "." + name);
}

void check_known_fields(const json& obj, const std::string& path, const std::vector<std::string>& known) {
  if (!obj.is_object()) return;  // the caller's own read reports the wrong type
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const auto& k : known) ok = ok || it.key() == k;
    if (ok) continue;
    throw data_error("unknown field \"" + it.key() + "\" (known: " + join(known) + ")", path + "." + it.key());
  }
}

const json& get_object(const json& obj, const std::string& name, const std::string& path) {
  const json& v = require_field(obj, name, path);
  if (!v.is_object()) throw data_error(type_mismatch("an object", v), path + "." + name);
  return v;
}

const json& get_array(const json& obj, const std::string& name, const std::string& path) {
  const json& v = require_field(obj, name, path);
  if (!v.is_array()) throw data_error(type_mismatch("an array", v), path + "." + name);
  return v;
}

}  // namespace grid
