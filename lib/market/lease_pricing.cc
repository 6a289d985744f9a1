#include "market/lease_pricing.h"

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/fields.h"
#include "jobs/task_cost.h"

namespace grid {

namespace {
// kMaxMicros (core/fields.h) as a double, which holds it exactly.
constexpr double kMostMicros = static_cast<double>(kMaxMicros);
constexpr double kRoundingSlack = 1e-6;
}

json Hardware::to_json() const {
  return {{"device", device},       {"gpu_model", gpu_model},
          {"gpu_count", gpu_count}, {"gpu_memory_bytes", gpu_memory_bytes},
          {"cpu_model", cpu_model}, {"exact_gemm_tflops", exact_tflops}};
}

Hardware read_hardware(const json& profile, const std::string& signer) {
  Hardware hw;
  hw.profile_id = profile.value("id", std::string());
  hw.signer = signer;
  const json& s = get_object(profile, "summary", "");
  hw.exact_tflops = get_number(s, "exact_gemm_tflops", ".summary", 0, 1e9);
  if (!(hw.exact_tflops > 0)) throw data_error("no positive exact GEMM rate", ".summary.exact_gemm_tflops");
  hw.device = profile.contains("device") ? get_string(profile, "device", "") : "cpu";
  hw.gpu_model = s.contains("gpu_model") ? get_string(s, "gpu_model", ".summary") : "none";
  hw.cpu_model = s.contains("cpu_model") ? get_string(s, "cpu_model", ".summary") : "";
  hw.gpu_count = get_int_opt(s, "gpu_count", ".summary", 0, 1 << 20).value_or(0);
  hw.gpu_memory_bytes = get_int_opt(s, "gpu_memory_bytes", ".summary", 0, int64_t{1} << 53).value_or(0);
  if (profile.contains("kinds")) hw.kinds = get_object(profile, "kinds", "");
  return hw;
}

Estimate estimate_task(const Order& order, const Hardware& hw) {
  Estimate e;
  const json& task = (*order.msg)["task"];
  const std::string mode = task.contains("mode") ? get_choice(task, "mode", ".task", {"exact", "fast"}) : "exact";
  const std::string at = "kinds." + mode + "." + order.type;
  const json* costs = nullptr;
  if (hw.kinds.is_object() && hw.kinds.contains(mode) && hw.kinds[mode].is_object() &&
      hw.kinds[mode].contains(order.type))
    costs = &hw.kinds[mode][order.type];
  std::string why;
  if (!costs) {
    why = hw.kinds.is_null() ? "the profile has no kinds section (a gpu-bench before per-kind costs, or --only)"
                             : "the profile has no " + at;
  } else if (auto work = task_work(task, &why)) {
    if (auto seconds = work_seconds(*work, *costs, &why)) {
      e.seconds = *seconds;
      e.basis = "by " + at + " of the profile";
      return e;
    }
    why = at + ": " + why;
  }
  e.seconds = order.flops / (hw.exact_tflops * 1e12);
  e.basis = "at " + std::to_string(hw.exact_tflops) + " exact TFLOP/s";
  e.fallback = why;
  return e;
}

double estimated_seconds(const Order& order, const Hardware& hw) { return estimate_task(order, hw).seconds; }

PricePolicy parse_policy(const json& j, const std::string& source) {
  try {
    PricePolicy p;
    // A misspelt ceiling or fee would price every order without it.
    check_known_fields(j, "", {"basis", "rates_micros", "start_fee_micros", "floor_micros", "ceiling_micros"});
    p.basis = get_choice(j, "basis", "", {"tflop_hour", "gpu_hour"});
    const json& rates = get_object(j, "rates_micros", "");
    for (auto it = rates.begin(); it != rates.end(); ++it)
      p.rates[it.key()] = get_int(rates, it.key(), ".rates_micros", 0, kMaxMicros);
    if (p.rates.empty()) throw data_error("no rates", ".rates_micros");
    p.start_fee = get_int_opt(j, "start_fee_micros", "", 0, kMaxMicros).value_or(0);
    p.floor = get_int_opt(j, "floor_micros", "", 0, kMaxMicros).value_or(0);
    p.ceiling = get_int_opt(j, "ceiling_micros", "", 0, kMaxMicros).value_or(0);
    if (p.ceiling > 0 && p.ceiling < p.floor) throw data_error("ceiling below floor", ".ceiling_micros");
    return p;
  } catch (Error& e) {
    e.at_line(1, source);
    throw;
  }
}

Status policy_price(const PricePolicy& p, const Order& order, const Hardware& hw, int64_t* price_micros,
                    json* pricing) {
  auto rate = p.rates.find(hw.gpu_model);
  const bool exact_model = rate != p.rates.end();
  if (!exact_model) rate = p.rates.find("*");
  if (rate == p.rates.end()) {
    return Status::Fail("the policy has no rate for GPU model " + hw.gpu_model + " and no \"*\" default");
  }
  const double seconds = estimated_seconds(order, hw);
  const double units = p.basis == "tflop_hour"
                           ? order.flops / 1e12 / 3600.0
                           : seconds / 3600.0 * static_cast<double>(std::max<int64_t>(hw.gpu_count, 1));
  // Round up: a provider never quotes below its own rate. Less than
  // kRoundingSlack of a micro-unit over is binary rounding noise (0.02 h
  // is not exact), not a reason to charge one more.
  const double raw = std::max(
      0.0, std::ceil(static_cast<double>(p.start_fee) + static_cast<double>(rate->second) * units - kRoundingSlack));
  double price = raw;
  std::string clamped;
  if (price < static_cast<double>(p.floor)) price = static_cast<double>(p.floor), clamped = "floor";
  if (p.ceiling > 0 && price > static_cast<double>(p.ceiling)) price = static_cast<double>(p.ceiling), clamped = "ceiling";
  if (price < 1) {  // nothing to charge: as from a price script, a zero price is no bid
    return Status::Fail("the policy prices it at 0 micro-units (no rate, start fee or floor): no bid");
  }
  if (price > kMostMicros) {
    return Status::Fail("the policy price is beyond 2^53 - 1 micro-units");
  }
  *pricing = {{"method", "policy"},
              {"basis", p.basis},
              {"gpu_model", hw.gpu_model},
              {"rate_key", exact_model ? hw.gpu_model : "*"},
              {"rate_micros", rate->second},
              {"units", units},
              {"start_fee_micros", p.start_fee},
              {"raw_micros", whole_number(raw)},
              {"floor_micros", p.floor},
              {"ceiling_micros", p.ceiling},
              {"clamped", clamped.empty() ? json() : json(clamped)}};
  *price_micros = static_cast<int64_t>(price);
  return Status::Ok();
}

std::optional<double> parse_script_number(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return std::nullopt;
  size_t e = text.find_last_not_of(" \t\r\n");
  const std::string t = text.substr(b, e - b + 1);
  if (t.find_first_not_of("0123456789.+-eE") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v) || !(v > 0)) return std::nullopt;
  return v;
}

std::optional<double> parse_script_amount(const std::string& text) {
  const std::optional<double> v = parse_script_number(text);
  if (!v || std::ceil(*v) > kMostMicros) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_script_price(const std::string& text) {
  const auto v = parse_script_amount(text);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(std::ceil(*v));
}

std::optional<int64_t> round_up_micros(double v) {
  const double up = std::max(0.0, std::ceil(v - kRoundingSlack));
  if (!std::isfinite(v) || up > kMostMicros) return std::nullopt;
  return static_cast<int64_t>(up);
}

}  // namespace grid
