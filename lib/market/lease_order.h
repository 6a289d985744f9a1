// Orders (doc/protocol.md, "order"): a buyer's signed offer to pay at most
// max_price_micros for one task, on conditions. Made by `lease-bid order`,
// read by `lease-bid bid` and `lease-bid award`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "market/need_expr.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

// Everything the three subcommands take; each reads its own part.
struct LeaseOptions {
  std::vector<std::string> inputs;
  std::string now;      // --now
  std::string publish;  // --publish URL
  bool pass = false;    // --pass: kinds a subcommand does not take go on untouched
  // order
  int64_t max_price = 0;
  std::string need, deadline;
  double min_reputation = 0;
  int64_t bid_deposit = 0;
  // bid
  std::string profile, policy, price_script, leases, expires = "1h";
  std::string script_timeout = "10s";
  int script_jobs = 8;
  std::string price_script_format = "gridutils";  // or "akash"
  double akash_denom_price = 0;                   // 0: not given
  double akash_block_seconds = 0;                 // 0: not given (kAkashBlockSeconds)
  std::string akash_denom;                        // "": Akash's bare list; else {resources, price} in this denom
  int64_t max_leases = 0;  // 0: no limit
  // The estimate is multiplied by this before the deadline check: room
  // for a machine busier than when it was measured.
  double margin = 1.5;
  bool explain = false;
  // award
  std::string rule = "first-price";
  std::vector<std::string> profiles;
  std::vector<std::string> reputation_by;
};

// An order read and checked (not its signature: callers decide what a
// bad one means to them).
struct Order {
  const json* msg = nullptr;  // the whole message, owned by the caller
  std::string id, buyer, task_id, type;
  double flops = 0;
  int64_t max_price = 0, bid_deposit = 0, deadline = 0, created = 0;
  double min_reputation = 0;
  NeedExpr need;
};

// Checks the fields of an order message and reads them into *out. A
// missing or ill-typed field, or a malformed "need", is Exit::data naming
// the field.
void read_order(const json& m, Order* out);

// The order for `task` (a job-split task message, id checked), signed by
// `key`.
json make_order(const json& task, const LeaseOptions& opt, const NeedExpr& need, int64_t now, int64_t deadline,
                const SigningKey& key);

int lease_order_main(Tool& tool, const LeaseOptions& opt);

}  // namespace grid
