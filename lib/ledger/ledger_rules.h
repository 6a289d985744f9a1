// The settlement rules: what each checked message does to the book.
//   deposit   system:deposits -> account available
//   stake     provider available -> provider stake
//   lease     buyer available -> buyer held (refused whole when short)
//   accept    buyer held -> provider available, less the verifier's fee
//             (to the verifier) and the operator's fee (to system:fees)
//   reject    buyer held -> buyer available, and the provider's stake is
//             slashed by slash_multiple x price, split buyer / verifier
//   expiry    a hold past its deadline with no verdict -> buyer available
//             (a lease already past it is held and returned at once)
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger_input.h"
#include "ledger/ledger_transfers.h"

namespace grid {

// A rejected provider loses this many times the price from its stake: at
// 2, a caught cheat loses more than the lease would have paid it.
constexpr double kDefaultSlashMultiple = 2.0;
// Of an accepted price, to the verifier, in 1/10000 (1%).
constexpr int64_t kDefaultVerifierFeeBp = 100;
// Of an accepted price, to system:fees, in 1/10000: none unless the operator sets one.
constexpr int64_t kDefaultFeeBp = 0;

struct SettleTerms {
  int64_t now = 0;  // seconds since the epoch: deadlines and transfer times
  double slash_multiple = kDefaultSlashMultiple;
  int64_t verifier_fee_bp = kDefaultVerifierFeeBp;
  int64_t fee_bp = kDefaultFeeBp;
};

// Sorted by how a message ended up.
enum class Outcome { applied, exists, inconclusive, resolved, expired };
const char* outcome_name(Outcome o);

class Settlement {
 public:
  Settlement(Book& book, const SettleTerms& terms);

  // Applies one checked message inside the book's transaction. Exit::data
  // for a message that must be refused (nothing is changed then).
  Outcome apply(const LedgerEntry& entry);
  // Returns holds whose deadline has passed to their buyers; the count.
  size_t expire_due();

 private:
  struct Hold {
    std::string lease, order, task, buyer, provider, state, resolved_by;
    int64_t amount = 0, deadline = 0;
    int64_t seq = 0;  // the seq of its hold transfer
  };
  static void read_hold(const Statement& q, Hold* h);
  static bool load_hold(Statement& q, Hold* h);
  Outcome single(const LedgerEntry& e, Transfer t);
  Outcome lease(const LedgerEntry& e);
  Outcome verdict(const LedgerEntry& e);
  Hold hold_of_task(const LedgerEntry& e);
  Outcome resolved_verdict(const LedgerEntry& e, const Hold& h);
  void expire(const Hold& h);
  void resolve(const Hold& h, const std::string& state, const std::string& by);
  Transfer make(const std::string& cause, const std::string& code, const std::string& type, const std::string& debit,
                Bucket db, const std::string& credit, Bucket cb, int64_t amount, const std::string& hold = "") const;
  int64_t slash_wanted(int64_t price) const;
  void require_same(const Transfer& planned);

  Book& book_;
  SettleTerms terms_;
  Statement by_lease_, by_order_, by_task_, insert_hold_, insert_open_, resolve_hold_, close_hold_, due_;
};

}  // namespace grid
