#include "jobs/train_sweep.h"

#include "core/error.h"
#include "compute/exact_math.h"
#include "core/fields.h"
#include "compute/philox.h"

namespace grid {
namespace {

// Random sweeps draw from this Philox stream, one word per (draw, setting).
constexpr uint32_t kSweepStream = 0x5357;  // "SW"
constexpr int64_t kMaxPoints = 100000;

json::json_pointer pointer_of(const std::string& dotted) {
  std::string p;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    p += "/" + dotted.substr(start, dot - start);
    start = dot + 1;
  }
  return json::json_pointer(p);
}

SweepPoint make_point(const json& spec, const json& settings) {
  SweepPoint p;
  p.settings = settings;
  p.spec = spec;
  p.spec.erase("sweep");
  for (auto it = settings.begin(); it != settings.end(); ++it) {
    // A setting below a field that is not an object ("optimizer.lr" with
    // optimizer a number) has nowhere to go.
    try {
      p.spec[pointer_of(it.key())] = it.value();
    } catch (const json::exception&) {
      throw data_error("the sweep sets " + it.key() + ", inside a value that is not an object", ".train." + it.key());
    }
  }
  return p;
}

// log-uniform in float, through exact_log / exact_exp, so every machine
// draws the same value.
float draw(const json& range, uint32_t word) {
  float u = philox_uniform01(word);
  float lo = range["min"].get<float>(), hi = range["max"].get<float>();
  if (range.value("scale", "linear") == "log") {
    float a = exact_log(lo), b = exact_log(hi);
    return exact_exp(exact_fma(u, b - a, a));
  }
  return exact_fma(u, hi - lo, lo);
}

}  // namespace

void validate_sweep(const json& sweep, const std::string& path) {
  if (!sweep.is_object()) throw data_error(std::string("expected an object, got ") + sweep.type_name(), path);
  if (sweep.contains("grid") && sweep.contains("random"))
    throw data_error("a sweep is a grid or random draws, not both", path + ".random");
  if (sweep.contains("grid")) {
    check_known_fields(sweep, path, {"grid"});
    const json& grid = get_object(sweep, "grid", path);
    if (grid.empty()) throw data_error("an empty grid", path + ".grid");
    int64_t points = 1;
    for (auto it = grid.begin(); it != grid.end(); ++it) {
      const std::string field = path + ".grid." + it.key();
      if (!it.value().is_array() || it.value().empty()) throw data_error("expected a non-empty array of values", field);
      points *= static_cast<int64_t>(it.value().size());
      if (points > kMaxPoints) throw data_error("more than " + std::to_string(kMaxPoints) + " configurations", path + ".grid");
    }
    return;
  }
  if (!sweep.contains("random")) throw data_error("expected \"grid\" or \"random\"", path);
  check_known_fields(sweep, path, {"random", "ranges"});
  get_int(sweep, "random", path, 1, kMaxPoints);
  const json& ranges = get_object(sweep, "ranges", path);
  if (ranges.empty()) throw data_error("no ranges to draw from", path + ".ranges");
  for (auto it = ranges.begin(); it != ranges.end(); ++it) {
    const std::string field = path + ".ranges." + it.key();
    const json& r = it.value();
    if (!r.is_object()) throw data_error("expected {min, max[, scale]} or {values}", field);
    if (r.contains("values")) {
      check_known_fields(r, field, {"values"});
      if (!r["values"].is_array() || r["values"].empty()) throw data_error("expected a non-empty array", field + ".values");
      continue;
    }
    check_known_fields(r, field, {"min", "max", "scale"});
    double lo = get_number(r, "min", field, -3.4e38, 3.4e38);
    std::string scale = r.contains("scale") ? get_choice(r, "scale", field, {"linear", "log"}) : "linear";
    get_number(r, "max", field, scale == "log" ? 1e-38 : lo, 3.4e38);
    if (scale == "log" && !(lo > 0)) throw data_error("a log range needs min > 0", field + ".min");
    if (r["max"].get<double>() < lo) throw data_error("max is below min", field + ".max");
  }
}

std::vector<SweepPoint> expand_sweep(const json& spec, uint64_t seed) {
  std::vector<SweepPoint> out;
  if (!spec.contains("sweep")) {
    out.push_back(make_point(spec, json::object()));
    return out;
  }
  const json& sweep = spec["sweep"];
  if (sweep.contains("grid")) {
    const json& grid = sweep["grid"];  // std::map: keys already sorted
    std::vector<std::string> keys;
    for (auto it = grid.begin(); it != grid.end(); ++it) keys.push_back(it.key());
    std::vector<size_t> at(keys.size(), 0);
    for (;;) {
      json settings = json::object();
      for (size_t i = 0; i < keys.size(); ++i) settings[keys[i]] = grid[keys[i]][at[i]];
      out.push_back(make_point(spec, settings));
      size_t i = keys.size();
      while (i > 0) {
        --i;
        if (++at[i] < grid[keys[i]].size()) break;
        at[i] = 0;
        if (i == 0) return out;
      }
      if (keys.empty()) return out;
    }
  }
  const int64_t n = sweep["random"];
  const json& ranges = sweep["ranges"];
  const uint64_t nkeys = ranges.size();
  for (int64_t d = 0; d < n; ++d) {
    json settings = json::object();
    uint64_t key_index = 0;
    for (auto it = ranges.begin(); it != ranges.end(); ++it, ++key_index) {
      uint32_t word = philox_word(seed, kSweepStream, static_cast<uint64_t>(d) * nkeys + key_index);
      const json& r = it.value();
      if (r.contains("values")) settings[it.key()] = r["values"][word % r["values"].size()];
      else settings[it.key()] = draw(r, word);
    }
    out.push_back(make_point(spec, settings));
  }
  return out;
}

}  // namespace grid
