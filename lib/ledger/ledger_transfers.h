// Accounts and double-entry transfers. Every movement debits one bucket of
// one account and credits one bucket of another by the same amount, so all
// balances together always sum to zero. A transfer's id is derived from
// the message that caused it, so the same message never moves money twice,
// and each stored row carries the hash of the row before it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/ledger_db.h"

namespace grid {

// Funds come in from outside through this account, which alone may go
// below zero: minus everything ever deposited.
constexpr char kDepositsAccount[] = "system:deposits";
// Where the operator's fee (apply --fee-bp) goes.
constexpr char kFeesAccount[] = "system:fees";
// prev_hash of the first row.
constexpr char kChainStart[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

enum class Bucket { available, held, stake };
const char* bucket_name(Bucket b);
// Exit::data for anything but the three names.
Bucket parse_bucket(const std::string& name);

struct Balances {
  int64_t available = 0;
  int64_t held = 0;
  int64_t stake = 0;
  int64_t& at(Bucket b) { return b == Bucket::available ? available : b == Bucket::held ? held : stake; }
};

struct Transfer {
  std::string id;  // transfer_id(cause, code)
  std::string type;  // deposit, stake, hold, post, verifier-fee, fee, void, slash, expire
  std::string debit;
  Bucket debit_bucket = Bucket::available;
  std::string credit;
  Bucket credit_bucket = Bucket::available;
  int64_t amount = 0;
  std::string cause;   // the id of the message that caused it (a lease id for an expiry)
  std::string hold;    // the lease whose hold it moves, or ""
  std::string detail;  // canonical JSON with extra facts (a slash's shortfall), or ""
  int64_t at = 0;      // when it was applied, seconds since the epoch
};

// The condition that finds the transfer whose id is ?1 through the index on
// the id's last 8 characters. The unary plus keeps SQLite from putting ?1
// for id in the first term (its constant propagation), which would leave no
// term the index could serve: every lookup would scan the table.
constexpr char kTransferById[] = "substr(id, -8) = substr(?1, -8) AND +id = ?1";

// "sha256:" + hex(SHA-256(cause "\n" code)): the same cause and code give
// the same id on every run.
std::string transfer_id(const std::string& cause, const std::string& code);

// The hash a stored row carries: SHA-256 over the previous row's hash and
// every field of this one, so editing any past row breaks the chain.
std::string transfer_hash(const std::string& prev_hash, const Transfer& t);

// True when two transfers agree on everything but the time applied.
bool same_movement(const Transfer& a, const Transfer& b);

// The write side of one transaction: balances cached in memory and written
// back on commit, rows appended to the chain.
class Book {
 public:
  explicit Book(Database& db);

  // BEGIN IMMEDIATE; forgets every cached balance (another run may have
  // written since).
  void begin();
  // Writes the changed balances and commits.
  void commit();
  // Rolls back and forgets the cache.
  void rollback();
  bool in_transaction() const { return tx_ != nullptr; }

  Balances balance(const std::string& account);
  std::optional<Transfer> find(const std::string& id);

  // Makes all of `transfers` or none: Exit::data naming the account when one
  // would leave a balance below zero (deposits excepted) or overflow.
  // Returns the seq of the first one stored (the rest follow it).
  int64_t post(const std::vector<Transfer>& transfers);

  Database& db() { return db_; }
  int64_t posted() const { return posted_; }

 private:
  Balances& cached(const std::string& account);

  Database& db_;
  std::unique_ptr<Transaction> tx_;
  std::unordered_map<std::string, Balances> cache_;
  std::unordered_map<std::string, bool> dirty_;
  // The seqs each account took part in this transaction, comma-separated:
  // one postings row each on commit.
  struct Postings {
    int64_t first_seq = 0;
    std::string seqs;
  };
  std::unordered_map<std::string, Postings> postings_;
  void add_posting(const std::string& account, int64_t seq);
  std::string head_;  // hash of the last row
  int64_t posted_ = 0;
  Statement get_account_, put_account_, find_, insert_, head_query_, put_postings_;
};

}  // namespace grid
