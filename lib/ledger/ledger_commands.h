// The pay-settle subcommands over the ledger library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger_apply.h"
#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

struct SettleOptions {
  std::string ledger;  // --ledger FILE, else $GRID_LEDGER: see ledger_path()
  std::string currency;  // init
  std::string account;   // deposit, balance, statement
  int64_t amount = 0;    // deposit, stake: micro-units
  std::string now;       // apply, deposit, stake, reputation: --now
  std::string since;     // statement
  std::string statement_format = "json";  // statement: json or csv
  std::string trust;     // apply
  size_t batch = kDefaultBatch;
  int busy_timeout_ms = kDefaultBusyTimeoutMs;
  unsigned threads = 0;  // 0: up to the machine's cores
  double slash_multiple = kDefaultSlashMultiple;
  int64_t verifier_fee_bp = kDefaultVerifierFeeBp;
  int64_t fee_bp = kDefaultFeeBp;
  bool pass = false;     // apply: other kinds go to stdout untouched
  std::vector<std::string> heads;  // check --head: hashes the chain must still hold
  std::vector<std::string> inputs;
};

// --ledger when given, else $GRID_LEDGER; Exit::usage with neither.
std::string ledger_path(const SettleOptions& opt);

int settle_init(Tool& tool, const SettleOptions& opt);
int settle_deposit(Tool& tool, const SettleOptions& opt);
int settle_stake(Tool& tool, const SettleOptions& opt);
int settle_apply(Tool& tool, const SettleOptions& opt);
int settle_balance(Tool& tool, const SettleOptions& opt);
int settle_statement(Tool& tool, const SettleOptions& opt);
int settle_reputation(Tool& tool, const SettleOptions& opt);
// Exit::negative (1) when the ledger has any violation.
int settle_check(Tool& tool, const SettleOptions& opt);

}  // namespace grid
