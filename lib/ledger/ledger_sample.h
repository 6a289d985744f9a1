// A synthetic market for the ledger's property test and benchmark: a
// reproducible stream of deposits, stakes, leases (with signed orders and
// bids inside) and verdicts, as JSON Lines text, with the awkward cases a
// real stream has: short funds, verdicts before their lease, repeats,
// inconclusive and rejecting verdicts, untrusted verifiers, expired holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "ledger/ledger_db.h"

namespace grid {

struct SampleMarket {
  uint64_t seed = 1;
  size_t leases = 100;
  size_t buyers = 3;
  size_t providers = 3;
  int64_t now = 1796083200;  // 2026-12-01T00:00:00Z: deadlines fall either side
  bool awkward = true;       // false: every message applies cleanly (the benchmark)
};

struct SampleKeys {
  SigningKey operator_key;
  SigningKey verifier;   // the one to trust
  SigningKey stranger;   // a verifier nobody trusts
};

// Keys derived from fixed seeds, the same on every run.
SampleKeys sample_keys();

// The ledger message init would make for sample_keys().operator_key.
std::string sample_ledger_message(LedgerInfo* info);

// The stream, one message a line, in the order to apply it.
std::vector<std::string> sample_market(const LedgerInfo& ledger, const SampleKeys& keys, const SampleMarket& m);

}  // namespace grid
