// apply: messages in, one write transaction per batch. Each batch is
// parsed and checked first (ids, signatures, trust) on a few threads, while
// the batch before it is written; then, under BEGIN IMMEDIATE, holds past
// their deadline are expired and the batch is applied in input order; it
// commits whole or not at all.
#pragma once

#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger_rules.h"

namespace grid {

// Messages per transaction by default: one fsync each; large enough that
// the fsync is a small share of the batch.
constexpr size_t kDefaultBatch = 1000;

struct ApplyReport {
  Position at;
  std::string id, kind;
  Outcome outcome = Outcome::applied;
};

class LedgerApplier {
 public:
  LedgerApplier(Database& db, std::set<std::string> trust, const SettleTerms& terms, size_t batch, unsigned threads);

  // Called after each commit, once per message of the batch, in order.
  std::function<void(const ApplyReport&)> on_report;
  // Called for each refused message (Exit::data), which is then skipped;
  // when unset the error ends the run and the batch is rolled back.
  std::function<void(const Error&)> on_refused;
  // Called instead for a line add_text() was given that is no JSON object
  // (Exit::data naming the line); it may throw to end the run. When unset
  // such a line is refused.
  std::function<void(const Error&)> on_bad_line;

  void add(json message, const Position& at);
  // A line not parsed yet (at.text): parsed with its batch on the checking
  // threads, so that the thread writing the ledger never parses.
  void add_text(Position at);
  // Applies what is left and expires due holds, even with no input.
  void finish();

  size_t refused() const { return refused_; }
  int64_t transfers() const { return book_.posted(); }
  size_t expired() const { return expired_; }

 private:
  // A message as added: parsed already (add) or still text (add_text).
  struct Pending {
    json message;
    Position at;
    bool parsed = false;
  };
  // A batch being checked on the pool while the one before it is written.
  struct Batch {
    std::vector<Pending> messages;  // emptied by the check
    std::vector<LedgerEntry> entries;
    std::future<void> checked;  // last: waited for before the rest goes
  };
  void push(Pending p);
  // Hands the pending messages to the pool, then writes the batch before.
  void seal();
  void write(Batch& batch);
  std::vector<LedgerEntry> check_all(std::vector<Pending>& messages) const;

  Database& db_;
  std::set<std::string> trust_;
  size_t batch_;
  unsigned threads_;
  Book book_;
  Settlement rules_;
  std::vector<Pending> pending_;
  size_t refused_ = 0, expired_ = 0;
  std::unique_ptr<Batch> checking_;  // last: destroyed (and waited for) first
};

}  // namespace grid
