// apply: messages in, one write transaction per batch. Each batch is
// parsed and checked first (ids, signatures, trust) on a pool of checking
// threads, which run a few batches ahead of the one being written; then,
// under BEGIN IMMEDIATE, holds past their deadline are expired and the batch
// is applied in input order; it commits whole or not at all.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ledger/ledger_rules.h"

namespace grid {

// Messages per transaction by default: one fsync each; large enough that
// the fsync is a small share of the batch.
constexpr size_t kDefaultBatch = 1000;
// Messages checked ahead of the batch being written, in whole batches (at
// least one): enough that a commit's fsync, or the writer's share of a
// core, leaves the checking threads work to do; few enough that the raw
// lines waiting stay a few megabytes.
constexpr size_t kMessagesCheckedAhead = 4000;

struct ApplyReport {
  Position at;
  std::string id, kind;
  Outcome outcome = Outcome::applied;
};

class LedgerApplier {
 public:
  LedgerApplier(Database& db, std::set<std::string> trust, const SettleTerms& terms, size_t batch, unsigned threads);
  // Stops the checking threads; batches not written yet are dropped.
  ~LedgerApplier();
  LedgerApplier(const LedgerApplier&) = delete;
  LedgerApplier& operator=(const LedgerApplier&) = delete;

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
  // A message as added: parsed already (add), or still text (add_text):
  // bytes [begin, begin + size) of its batch's text.
  struct Pending {
    json message;
    Position at;  // at.text stays empty
    bool parsed = false;
    size_t begin = 0, size = 0;
  };
  // A batch sealed for checking; the pool fills `entries` a chunk at a
  // time, oldest batch first. next, done and failed are guarded by mu_.
  struct Batch {
    // The lines add_text was given, end to end: one allocation a batch.
    // A line apiece, allocated by this thread and freed by a checking
    // one, left this thread's heap in pieces that each of the writer's
    // own small allocations then had to sort through (a fifth of its
    // time).
    std::string text;
    std::vector<Pending> messages;  // each emptied once checked
    std::vector<LedgerEntry> entries;
    size_t next = 0, done = 0;
    std::exception_ptr failed;
  };
  void push(Pending p);
  // Queues the pending messages for checking, then writes the oldest
  // batches until no more than the bound are waiting.
  void seal();
  // Waits for the oldest batch to be checked, then writes it.
  void write_oldest();
  void write(Batch& batch);
  void check(const Batch& b, Pending& p, LedgerEntry& entry) const;
  void check_loop();

  Database& db_;
  std::set<std::string> trust_;
  size_t batch_;
  unsigned threads_;
  Book book_;
  Settlement rules_;
  std::vector<Pending> pending_;
  std::string pending_text_;
  // Written batches' text buffers, cleared, for the next batches: a fresh
  // megabyte a batch cost a page fault every 4 KiB.
  std::vector<std::string> spare_texts_;
  size_t refused_ = 0, expired_ = 0;
  size_t batches_ahead_;

  std::mutex mu_;
  std::condition_variable work_, checked_;
  std::deque<std::unique_ptr<Batch>> sealed_;  // oldest first
  bool stopping_ = false;
  std::vector<std::thread> checkers_;  // last: started once the rest exists
};

}  // namespace grid
