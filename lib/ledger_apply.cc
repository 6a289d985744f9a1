#include "ledger_apply.h"

#include <atomic>
#include <thread>

namespace grid {

LedgerApplier::LedgerApplier(Database& db, std::set<std::string> trust, const SettleTerms& terms, size_t batch,
                             unsigned threads)
    : db_(db), trust_(std::move(trust)), batch_(batch ? batch : 1), threads_(threads ? threads : 1), book_(db),
      rules_(book_, terms) {
  pending_.reserve(batch_);
}

void LedgerApplier::add(json message, const Position& at) {
  pending_.emplace_back(std::move(message), at);
  if (pending_.size() >= batch_) flush();
}

void LedgerApplier::finish() { flush(); }

std::vector<LedgerEntry> LedgerApplier::check_all() {
  std::vector<LedgerEntry> entries(pending_.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < pending_.size();)
      entries[i] = check_ledger_entry(pending_[i].first, pending_[i].second, db_.info(), trust_);
  };
  // Threads only pay for themselves on a batch of some size.
  const unsigned n = pending_.size() < 64 ? 1 : std::min<unsigned>(threads_, pending_.size() / 32);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return entries;
}

void LedgerApplier::flush() {
  std::vector<LedgerEntry> entries = check_all();
  std::vector<ApplyReport> reports;
  reports.reserve(entries.size());
  book_.begin();
  try {
    // Holds of earlier runs now past their deadline; within a run a lease
    // past its deadline is returned as it is applied.
    expired_ += rules_.expire_due();
    for (size_t i = 0; i < entries.size(); ++i) {
      const LedgerEntry& e = entries[i];
      try {
        Outcome o = rules_.apply(e);
        reports.push_back({e.at, e.id, pending_[i].first.value("kind", ""), o});
      } catch (Error& err) {
        err.at_line(e.at.line, e.at.source);
        if (err.code() != Exit::data || !on_refused) throw;
        on_refused(err);
        ++refused_;
      }
    }
    book_.commit();
  } catch (...) {
    book_.rollback();
    throw;
  }
  pending_.clear();
  if (on_report)
    for (const ApplyReport& r : reports) on_report(r);
}

}  // namespace grid
