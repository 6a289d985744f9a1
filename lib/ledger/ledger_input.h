// The messages apply consumes, checked before the write transaction so the
// signature work can run on several threads: deposits and stakes (kind
// "transfer"), leases and verdicts. Checking needs no database.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"
#include "ledger/ledger_db.h"

namespace grid {

// Verifier keys whose verdicts move money: "ed25519:<hex>", one a line of
// the --trust file; blank lines and # comments are skipped. Exit::data
// naming the line for anything else, Exit::no_input for a missing file.
std::set<std::string> load_trust(const std::string& path);

struct LedgerEntry {
  enum class Kind { deposit, stake, lease, verdict, other };
  Kind kind = Kind::other;
  Position at;
  std::string id;  // the message id
  std::optional<Error> error;  // raised when the entry's turn comes
  bool bad_line = false;       // the error is that the line is no JSON object

  // deposit: the account credited; stake: the provider locking collateral.
  std::string account;
  int64_t amount = 0;  // deposit, stake: amount_micros; lease: price_micros

  // lease
  std::string order, task, buyer, provider;
  int64_t deadline = 0;

  // verdict
  std::string verifier, status, lease;  // lease: "" when the verdict names none

  // The message's "kind": transfer, lease or verdict.
  const char* input_kind() const;
};

// Checks one message against the ledger and the trusted verifiers. Never
// throws: a problem is stored in entry.error. Safe on several threads.
LedgerEntry check_ledger_entry(const json& message, const Position& at, const LedgerInfo& ledger,
                               const std::set<std::string>& trust);

}  // namespace grid
