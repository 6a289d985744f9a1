#!/bin/sh
# A provider's price script for `lease-bid bid --price-script`.
# stdin: one order's resources as JSON (flops, estimated_seconds, hardware,
# max_price_micros, deadline, ...). stdout: one decimal price in
# micro-units, or nothing (and exit 1) to make no bid.
#
# This one asks 1.2 micro-units per GFLOP plus a 500 micro-unit start fee,
# and makes no bid on orders that would run longer than a day.
set -eu
req=$(cat)
flops=$(printf '%s' "$req" | jq -r '.flops')
secs=$(printf '%s' "$req" | jq -r '.estimated_seconds')
awk -v f="$flops" -v s="$secs" 'BEGIN {
  if (s > 86400) exit 1
  printf "%.0f\n", 500 + 1.2 * f / 1e9
}'
