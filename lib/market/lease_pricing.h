// How a provider prices an order: a policy file (rates by GPU model) or
// the estimated run time the policy and the deadline check both use.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/canonical_json.h"
#include "core/status.h"
#include "market/lease_order.h"

namespace grid {

// What a signed gpu-bench profile says about the machine that bids.
struct Hardware {
  std::string profile_id, signer, device, gpu_model, cpu_model;
  int64_t gpu_count = 0, gpu_memory_bytes = 0;
  double exact_tflops = 0;  // summary.exact_gemm_tflops
  json kinds;               // the profile's "kinds" section; null in older profiles
  json to_json() const;     // what a bid copies (not kinds)
};

// Reads the hardware of a profile message whose signature the caller has
// checked. No positive summary.exact_gemm_tflops is Exit::data.
Hardware read_hardware(const json& profile, const std::string& signer);

// How long the order's task takes on this hardware, and how that was
// worked out (for --explain). From the task's kind and mode and the
// profile's measured costs (kinds.<mode>.<type>, jobs/task_cost.h); where
// the profile has none (made before gpu-bench measured them) or the task
// cannot be counted, the order's flops at the exact GEMM rate, and
// `fallback` says why.
struct Estimate {
  double seconds = 0;
  std::string basis;     // "by kinds.exact.train of the profile", "at 0.07 exact TFLOP/s"
  std::string fallback;  // empty unless the flops rate was used
};
Estimate estimate_task(const Order& order, const Hardware& hw);

// estimate_task(order, hw).seconds.
double estimated_seconds(const Order& order, const Hardware& hw);

// A price policy (examples/pricing/policy.json):
//   {"basis": "tflop_hour" | "gpu_hour",
//    "rates_micros": {"H100": 2500000, "*": 900000},   per unit of basis
//    "start_fee_micros": 1000, "floor_micros": 100, "ceiling_micros": 50000000}
// tflop_hour: units = task flops / 1e12 / 3600 (the work, whatever the speed).
// gpu_hour:   units = estimate_task hours * max(gpu_count, 1) (the machine's time).
struct PricePolicy {
  std::string basis;
  std::map<std::string, int64_t> rates;  // by GPU model; "*" for the rest
  int64_t start_fee = 0, floor = 0, ceiling = 0;  // ceiling 0: none
};

// Parses a policy; Exit::data naming the field (and the file) when bad.
PricePolicy parse_policy(const json& policy, const std::string& source);

// Ok with the price in micro-units in *price and a "pricing" object saying
// how it was made, or why the policy makes no bid (no rate for the GPU
// model, a zero price, one beyond 2^53 - 1); then neither is set.
Status policy_price(const PricePolicy& p, const Order& order, const Hardware& hw, int64_t* price, json* pricing);

// A decimal price as a price script prints it ("12", "12.5", " 3e2\n"),
// as a number. nullopt for anything else, zero, negative, or beyond
// 2^53 - 1 (kMaxMicros).
std::optional<double> parse_script_amount(const std::string& text);
// The positive decimal `text` is, whatever its size; nullopt for anything
// else (what parse_script_amount refuses as too large is one of these).
std::optional<double> parse_script_number(const std::string& text);

// The same in micro-units, a fraction rounded up.
std::optional<int64_t> parse_script_price(const std::string& text);

// A price worked out in floating point, in whole micro-units: rounded up,
// less than a millionth of a micro-unit over being binary rounding noise.
// nullopt when not finite or beyond 2^53 - 1.
std::optional<int64_t> round_up_micros(double micros);

}  // namespace grid
