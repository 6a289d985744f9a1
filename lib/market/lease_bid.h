// `lease-bid bid`: a provider's answer to an order book, run from cron.
#pragma once

#include <string>

#include "market/lease_order.h"
#include "market/lease_pricing.h"

namespace grid {

// How many leases in `path` (lease messages, as award writes them) are
// awarded to `provider` and still open (deadline after `now`).
int64_t count_open_leases(Tool& tool, const std::string& path, const std::string& provider, int64_t now);

// The JSON a price script reads on its stdin for one order.
json script_request(const Order& order, const Hardware& hw);

int lease_bid_main(Tool& tool, const LeaseOptions& opt);

}  // namespace grid
