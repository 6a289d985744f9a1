// Akash providers' price scripts, unchanged (lease-bid bid
// --price-script-format akash): the order handed over as Akash's list of
// resource groups, and the per-block price the script prints turned into
// a price for the whole task.
#pragma once

#include <cstdint>

#include "core/canonical_json.h"
#include "core/status.h"
#include "market/lease_pricing.h"

namespace grid {

// Akash's average block time, in seconds, as its generic price script
// (akash-network/helm-charts, charts/akash-provider/scripts/
// price_script_generic.sh) measured it over heights 8090658..8522658 and
// uses to make 429909 blocks a month.
constexpr double kAkashBlockSeconds = 6.117;

struct AkashRates {
  double denom_price = 0;                      // order currency per unit of the script's denomination (USD per AKT)
  double block_seconds = kAkashBlockSeconds;  // seconds a block lasts
  std::string denom;                           // "": the bare list; else the {resources, price} request's denom
};

// Blocks a lease of `seconds` pays: ceil(seconds / block_seconds), at
// least 1 (a lease pays each block it starts).
double akash_blocks(const AkashRates& rates, double seconds);

// A GPU as Akash's attributes name it (vendor.nvidia's {model, ram,
// interface}): the model the short lower-case name Akash's GPU list and
// providers' price mappings use ("NVIDIA H100 80GB HBM3" -> "h100",
// "NVIDIA GeForce RTX 4090" -> "rtx4090", "NVIDIA A100-SXM4-80GB" ->
// "a100"), ram the memory in whole GiB ("80Gi"; left out when unknown),
// interface "sxm" or "pcie" where the name says so.
json akash_gpu_attributes(const std::string& name, int64_t memory_bytes);

// What an Akash provider hands its price script: the order as one resource
// group, the machine of `profile` as the task has it for its estimated
// time: cpu (millicores) = the profile's threads x 1000, memory (bytes) =
// summary.memory_bytes, one ephemeral storage entry of 0 bytes, gpu units
// 1 on a GPU device (vendor.nvidia = akash_gpu_attributes) else 0, no
// endpoints or IPs, count 1.
json akash_resource_groups(const json& profile, const Hardware& hw);

// What a newer Akash provider hands its script (rates.denom set): {"resources":
// groups, "price": {"denom", "amount"}, "price_precision": 6}, amount the
// most a block may cost for the order to stay within `max_price` micro-
// units of its currency over the task's blocks: max_price / (blocks x
// denom_price) micro-units of the denomination, a decimal string with 6
// places, rounded down. The script refuses (exit 1) where its rate is
// higher, as Akash's generic one does.
json akash_priced_request(const json& groups, const AkashRates& rates, int64_t max_price, double seconds);

// The price of `seconds` of the task from the script's `per_block` (micro-
// units of its denomination a block): per_block x blocks x denom_price,
// blocks = ceil(seconds / block_seconds), at least 1 (a lease pays each
// block it starts), rounded up to whole micro-units, at least 1. Ok with *price and the
// terms added to *pricing, or why no bid (beyond 2^53 - 1 micro-units, kMaxMicros).
Status akash_price(double per_block, const AkashRates& rates, double seconds, int64_t* price, json* pricing);

}  // namespace grid
