#include "market/lease_price_akash.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace grid {

namespace {
// Past 2^53 a block count is no longer a whole number in a double (nor in JSON).
constexpr double kMaxBlocks = 9007199254740992.0;
}  // namespace

json akash_gpu_attributes(const std::string& name, int64_t memory_bytes) {
  // Words of the name, split at spaces and dashes, lower case.
  std::vector<std::string> words;
  std::string w;
  for (const char ch : name + " ") {
    if (ch == ' ' || ch == '-' || ch == '_') {
      if (!w.empty()) words.push_back(w);
      w.clear();
    } else {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  auto is_memory = [](const std::string& s) {  // "80gb", "hbm3", "gddr6x"
    const size_t digits = s.find_first_not_of("0123456789");
    return (digits > 0 && digits != std::string::npos && s.substr(digits) == "gb") || s.rfind("hbm", 0) == 0 ||
           s.rfind("gddr", 0) == 0;
  };
  std::string model, interface;
  for (const std::string& word : words) {
    if (word == "nvidia" || word == "geforce" || word == "tesla") continue;
    if (word.rfind("sxm", 0) == 0) interface = "sxm";
    else if (word == "pcie") interface = "pcie";
    else if (!is_memory(word)) model += word;
  }
  json a = {{"model", model}};
  if (memory_bytes > 0) a["ram"] = std::to_string(std::llround(static_cast<double>(memory_bytes) / (1 << 30))) + "Gi";
  if (!interface.empty()) a["interface"] = interface;
  return a;
}

json akash_resource_groups(const json& profile, const Hardware& hw) {
  const json& summary = profile["summary"];
  auto number = [](const json& in, const char* key) -> int64_t {
    return in.contains(key) && in[key].is_number_unsigned() ? in[key].get<int64_t>() : 0;
  };
  json gpu = {{"units", 0}};
  if (hw.device != "cpu")
    gpu = {{"units", 1},
           {"attributes", {{"vendor", {{"nvidia", akash_gpu_attributes(hw.gpu_model, hw.gpu_memory_bytes)}}}}}};
  return json::array({{{"cpu", number(profile, "threads") * 1000},
                       {"memory", number(summary, "memory_bytes")},
                       {"storage", json::array({{{"class", "ephemeral"}, {"size", 0}}})},
                       {"gpu", gpu},
                       {"endpoint_quantity", 0},
                       {"ip_lease_quantity", 0},
                       {"count", 1}}});
}

double akash_blocks(const AkashRates& rates, double seconds) {
  return std::max(1.0, std::ceil(seconds / rates.block_seconds));
}

json akash_priced_request(const json& groups, const AkashRates& rates, int64_t max_price, double seconds) {
  const double cap = static_cast<double>(max_price) / (akash_blocks(rates, seconds) * rates.denom_price);
  // Rounded down to 6 places, so the cap never lets a price past max_price;
  // the long double keeps the millionths of a large cap exact.
  const long double millionths = std::floor(static_cast<long double>(cap) * 1e6L);
  char amount[64];
  std::snprintf(amount, sizeof amount, "%.6Lf", millionths / 1e6L);
  return {{"resources", groups},
          {"price", {{"denom", rates.denom}, {"amount", amount}}},
          {"price_precision", 6}};
}

Status akash_price(double per_block, const AkashRates& rates, double seconds, int64_t* price, json* pricing) {
  const double blocks = akash_blocks(rates, seconds);
  const auto micros = blocks <= kMaxBlocks ? round_up_micros(per_block * blocks * rates.denom_price) : std::nullopt;
  if (!micros) return Status::Fail("the price script's per-block price makes a price beyond 2^53 - 1 micro-units");
  (*pricing)["format"] = "akash";
  (*pricing)["per_block"] = per_block;
  (*pricing)["blocks"] = static_cast<int64_t>(blocks);
  (*pricing)["block_seconds"] = rates.block_seconds;
  (*pricing)["denom_price"] = rates.denom_price;
  if (!rates.denom.empty()) (*pricing)["denom"] = rates.denom;
  // The script asked for more than nothing: never a free bid.
  *price = std::max<int64_t>(1, *micros);
  return Status::Ok();
}

}  // namespace grid
