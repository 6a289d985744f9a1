// Reading a ledger: balances, an account's statement, provider reputation
// and the consistency check. None of these writes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "ledger/ledger_transfers.h"

namespace grid {

struct AccountBalance {
  std::string account;
  Balances balances;
};

// Every account, or only `account` (zeros when it has never moved money).
std::vector<AccountBalance> ledger_balances(Database& db, const std::string& account = "");

// The transfers that debit or credit `account`, applied at or after
// `since`, oldest first, each with its sequence number.
void ledger_statement(Database& db, const std::string& account, int64_t since,
                      const std::function<void(int64_t seq, const Transfer&)>& fn);

// A statement row as a "transfer" message (with its message id).
json transfer_message(const LedgerInfo& info, int64_t seq, const Transfer& t);

struct ProviderRecord {
  std::string provider;
  int64_t accepted = 0, rejected = 0;
};
// Per provider that ever held a lease, its resolved holds by outcome.
std::vector<ProviderRecord> ledger_records(Database& db);

// The reputation message for one provider (unsigned): Beta(1,1) prior.
json reputation_message(const LedgerInfo& info, const ProviderRecord& r, int64_t as_of);

// Every violation found: the hash chain, balances against the sum of their
// transfers, double entry summing to zero, negative balances, holds
// resolved more than once, and SQLite's own integrity check. Empty when
// the ledger is sound. `head` gets the newest row's hash. The chain shows
// edits, not a cut of its newest rows or a chain rewritten whole: against
// those, heads recorded earlier (`expect_heads`) must still be in it.
std::vector<std::string> ledger_check(Database& db, int64_t* transfers_seen = nullptr, std::string* head = nullptr,
                                      const std::vector<std::string>& expect_heads = {});

}  // namespace grid
