#!/bin/bash
# A price script in the style of Akash's generic one (akash-network/
# helm-charts, charts/akash-provider/scripts/price_script_generic.sh), for
# `lease-bid bid --price-script-format akash`: stdin is Akash's list of
# resource groups (.cpu in millicores, .memory and .storage[].size in
# bytes, .gpu.units, .count); stdout is a price in uakt a block. As newer
# Akash providers do (and lease-bid with --akash-denom), stdin may instead
# be {"resources": that list, "price": {"denom", "amount"}}: then a rate
# above amount (the most a block may cost) is refused with exit 1, and
# only the uakt denomination is priced here.
#
# The provider's targets are in USD a month per resource, as Akash's are
# (PRICE_TARGET_* override them); the AKT price is fixed here
# (AKT_PRICE_USD), where Akash's script asks an exchange, so that a bid can
# be checked by hand: then give lease-bid the same --akash-denom-price.
set -eo pipefail
data_in=$(jq .)

# The price cap, when the request carries one; then the list is .resources.
if [[ $(jq -r 'type == "object" and has("price")' <<<"$data_in") == true ]]; then
  denom=$(jq -r '.price.denom' <<<"$data_in")
  amount=$(jq -r '.price.amount' <<<"$data_in")
  precision=$(jq -r '.price_precision // 6' <<<"$data_in")
  data_in=$(jq '.resources' <<<"$data_in")
fi

cpu_requested=$(jq -r '(map(.cpu * .count) | add) / 1000' <<<"$data_in")
memory_requested=$(jq -r '(map(.memory * .count) | add) / pow(1024; 3)' <<<"$data_in")
ephemeral_requested=$(jq -r '[.[] | (.storage[] | select(.class == "ephemeral").size // 0) * .count] | add / pow(1024; 3)' <<<"$data_in")

TARGET_CPU=${PRICE_TARGET_CPU:-1.60}                   # USD/thread-month
TARGET_MEMORY=${PRICE_TARGET_MEMORY:-0.80}             # USD/GiB-month
TARGET_HD_EPHEMERAL=${PRICE_TARGET_HD_EPHEMERAL:-0.02} # USD/GiB-month
TARGET_GPU_UNIT=${PRICE_TARGET_GPU_UNIT:-100}          # USD/GPU-month, a model not in the mappings
usd_per_akt=${AKT_PRICE_USD:-2}
# Akash's: a block every 6.117 s on average, 30.437 days a month.
blocks_a_month=429909

# GPUs by model, as Akash's PRICE_TARGET_GPU_MAPPINGS names them (USD/GPU-
# month): "h100=900,a100.80Gi=800,a100=700"; a model with its memory
# first, then the bare model, then TARGET_GPU_UNIT.
declare -A gpu_mappings=()
IFS=',' read -ra pairs <<<"${PRICE_TARGET_GPU_MAPPINGS:-}"
for pair in "${pairs[@]}"; do
  gpu_mappings["${pair%%=*}"]=${pair#*=}
done
gpu_price_total=0
while IFS=$'\t' read -r count units model ram; do
  price=$TARGET_GPU_UNIT
  if [[ -z $model ]]; then
    : # no GPU asked for (units 0), or no model named: the catch-all price
  elif [[ -n ${gpu_mappings["$model.$ram"]:-} ]]; then
    price=${gpu_mappings["$model.$ram"]}
  elif [[ -n ${gpu_mappings["$model"]:-} ]]; then
    price=${gpu_mappings["$model"]}
  fi
  gpu_price_total=$(bc -l <<<"$gpu_price_total + $count * $units * $price")
done < <(jq -r '.[] | [.count, (.gpu.units // 0), (.gpu.attributes.vendor.nvidia.model // ""),
  (.gpu.attributes.vendor.nvidia.ram // "")] | @tsv' <<<"$data_in")

total_cost_usd_target=$(bc -l <<<"$cpu_requested * $TARGET_CPU + $memory_requested * $TARGET_MEMORY + \
  $ephemeral_requested * $TARGET_HD_EPHEMERAL + $gpu_price_total")
rate_per_block_uakt=$(bc -l <<<"$total_cost_usd_target / $usd_per_akt * 1000000 / $blocks_a_month")
if [[ -n ${denom:-} ]]; then
  if [[ $denom != uakt ]]; then
    echo "denom is not supported: $denom" >&2
    exit 1
  fi
  # bc prints 1 when the rate is above the cap.
  if [[ $(bc <<<"$rate_per_block_uakt > $amount") == 1 ]]; then
    LC_NUMERIC=C printf 'requested rate is too low. min expected %.*f%s\n' "$precision" "$rate_per_block_uakt" "$denom" >&2
    exit 1
  fi
  LC_NUMERIC=C printf '%.*f\n' "$precision" "$rate_per_block_uakt"
  exit 0
fi
LC_NUMERIC=C printf '%.6f\n' "$rate_per_block_uakt"
